"""Hearth's side of a scenario: an organization connected to a sandbox domain, and its syncs.

Product code is reached through few, public doors, so that a refactor that moves modules is a
one-line fix here: `integration_finalize` and `integration_settings_update` (services), the
`sync_directory` command (a full sync, or `--fetch-only`: the same API calls, no apply), and
the models named below for counting.

`organization_connect` goes through Hearth's real path — the organization, its Hearth admin
(the person who signed up, also the domain's Google super admin and the sync account), then
`integration_finalize`, which runs the directory check against the sandbox and enqueues the
first full sync. When the scenario runs that sync itself (`sync_directory` in a measured
subprocess) the queued run is set aside: its broker message is dropped (the harness's Redis DB
is flushed) and the run is recorded as skipped, so no worker picks it up.

`sync`, `fetch_only` and `naive` run in their own process through bench.probe (bench/measure.py).
`timed` puts a CHECKPOINT before a pass.
"""

from collections.abc import Callable

from .env import BenchEnv, CouldNotMeasure
from .measure import ProcessRun, run_probed

# Hearth's people tables (rows written are checked against them in the incremental scenario)
PEOPLE_TABLES = ["usermanagement_user", "usermanagement_group", "usermanagement_groupmembership"]


def organization_connect(
    env: BenchEnv, domain: str, *, slug: str, keep_first_run: bool = False, seats: int = 10**7
):
    from integrations.models import SyncRun
    from integrations.services import integration_finalize
    from organizations.models import Organization
    from usermanagement.models import User

    organization = Organization.objects.create(
        name=slug.replace("-", " ").title(),
        slug=slug,
        primary_domain=domain,
        seats_purchased=seats,
    )
    admin = User.objects.create_user(
        f"admin@{domain}",
        password=None,
        organization=organization,
        role=User.Role.ADMIN,
        first_name="Admin",
        last_name=slug,
    )
    integration_finalize(organization=organization, sync_account=admin, acting_user=admin)
    if not keep_first_run:
        env.redis_flush()
        SyncRun.objects.filter(organization=organization, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.SKIPPED, note="Benchmark: run by sync_directory instead."
        )
    return organization


def settings_update(organization, **settings) -> None:
    """The organization's sync settings, as an admin changes them (threshold, interval)."""
    from integrations.services import integration_settings_update

    integration_settings_update(organization=organization, acting_user=None, **settings)


def quota(per_minute: int | None = None) -> dict:
    """Hearth's client-side quota for a pass: lifted (scenarios that measure the machine, with
    no quota in the sandbox either) or the given per-minute quota (Google-like scenarios)."""
    return {"BENCH_GOOGLE_QUOTA_PER_MINUTE": str(per_minute or 100_000_000)}


UNLIMITED = quota()


def timed(env: BenchEnv, work: Callable[[], ProcessRun]) -> ProcessRun:
    env.checkpoint()
    return work()


def sync(
    env: BenchEnv,
    slug: str,
    *,
    quota: dict | None = None,
    must_succeed: bool = True,
    extra_env: dict | None = None,
) -> ProcessRun:
    """`manage.py sync_directory SLUG --json` in a measured subprocess."""
    run = run_probed(
        env, "sync_directory", slug, "--json", extra_env={**(quota or {}), **(extra_env or {})}
    )
    if must_succeed and (run.exit_code != 0 or run.json().get("status") != "succeeded"):
        raise CouldNotMeasure(f"the sync of {slug} exited {run.exit_code}: {run.stdout[-500:]}")
    return run


def fetch_only(env: BenchEnv, slug: str, *, quota: dict | None = None) -> ProcessRun:
    """The same API calls as a sync, with the same client and concurrency, and no apply
    (`sync_directory --fetch-only`, integrations.sync.engine.sync_fetch)."""
    run = run_probed(env, "sync_directory", slug, "--fetch-only", "--json", extra_env=quota)
    if run.exit_code != 0:
        raise CouldNotMeasure(f"the fetch-only pass exited {run.exit_code}: {run.stdout}")
    return run


def naive(
    env: BenchEnv,
    slug: str,
    subject: str,
    *,
    kind: str = "row",
    quota: dict | None = None,
) -> ProcessRun:
    """A naive reference sync (bench/naive.py): `row` (per-row ORM) or `paged` (the better
    first draft: one transaction per page, an id -> pk map)."""
    run = run_probed(env, "bench.naive:main", slug, subject, f"--{kind}", extra_env=quota)
    if run.exit_code != 0:
        raise CouldNotMeasure(f"the naive sync exited {run.exit_code}: {run.stdout}")
    return run


def naive_organization(domain: str, *, slug: str):
    """An organization for the naive reference: no integration and nobody in it yet (the naive
    sync creates every person, the domain's admin included)."""
    from organizations.models import Organization

    return Organization.objects.create(
        name="Naive", slug=slug, primary_domain=domain, seats_purchased=10**7
    )


def people_count(organization) -> dict:
    from usermanagement.models import Group, GroupMembership, User

    return {
        "people": User.objects.filter(organization=organization).count(),
        "groups": Group.objects.filter(organization=organization).count(),
        "memberships": GroupMembership.objects.filter(organization=organization).count(),
    }
