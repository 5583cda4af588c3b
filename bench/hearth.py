"""Hearth's side of a scenario: an organization connected to a sandbox domain, and its syncs.

`organization_connect` goes through Hearth's real path — the organization, its Hearth admin
(the person who signed up, also the domain's Google super admin and the sync account), then
`integration_finalize`, which runs the directory check against the sandbox and enqueues the
first full sync. When the scenario wants to run that sync itself (`sync_directory` in a measured
subprocess) the queued run is set aside: its broker message is dropped (the harness's Redis DB is
flushed) and the run is recorded as skipped, so no worker of a later scenario picks it up.

`sync` and `fetch_only` run in their own process through bench.probe (peak memory, statements).
"""

import re
import subprocess

from .env import BenchEnv, CouldNotMeasure
from .measure import ProcessRun, run_probed

PEOPLE_TABLES = ["usermanagement_user", "usermanagement_group", "usermanagement_groupmembership"]


def organization_connect(env: BenchEnv, domain: str, *, slug: str, keep_first_run: bool = False):
    from integrations.models import SyncRun
    from integrations.services import integration_finalize
    from organizations.models import Organization
    from usermanagement.models import User

    organization = Organization.objects.create(
        name=slug.replace("-", " ").title(),
        slug=slug,
        primary_domain=domain,
        seats_purchased=1_000_000,
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


UNLIMITED = {"BENCH_GOOGLE_QUOTA_PER_MINUTE": "100000000"}


def sync(env: BenchEnv, slug: str, *, quota: dict | None = None) -> ProcessRun:
    """`manage.py sync_directory SLUG --json` in a measured subprocess; must succeed."""
    run = run_probed(env, "sync_directory", slug, "--json", extra_env=quota)
    summary = run.json()
    if run.exit_code != 0 or summary.get("status") != "succeeded":
        raise CouldNotMeasure(f"the sync of {slug} exited {run.exit_code}: {run.stdout[-500:]}")
    return run


_help: dict[str, str] = {}


def _sync_directory_help(env: BenchEnv) -> str:
    if "text" not in _help:
        done = subprocess.run(
            env.manage("sync_directory", "--help"),
            env=env.environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        _help["text"] = done.stdout if done.returncode == 0 else ""
    return _help["text"]


def fetch_only_source(env: BenchEnv) -> str:
    if re.search(r"--fetch-only\b", _sync_directory_help(env)):
        return "sync_directory --fetch-only"
    return "bench/fetch_only.py (the engine's fetch steps)"


def fetch_only(
    env: BenchEnv, slug: str, *, quota: dict | None = None, as_first_sync: bool = False
) -> ProcessRun:
    """The same API calls as a sync, with the same client and concurrency, and no apply.

    `as_first_sync`: the calls the organization's first sync made (before any run, the users
    listing is not split), for the floor of that first sync measured after it.
    """
    if fetch_only_source(env).startswith("sync_directory") and not as_first_sync:
        args = ("sync_directory", slug, "--fetch-only", "--json")
    else:
        args = ("bench.fetch_only:main", slug) + (("--as-first-sync",) if as_first_sync else ())
    run = run_probed(env, *args, extra_env=quota)
    if run.exit_code != 0:
        raise CouldNotMeasure(f"the fetch-only pass exited {run.exit_code}: {run.stdout}")
    return run


def naive(
    env: BenchEnv, slug: str, subject: str, *, fetch_only: bool = False, quota: dict | None = None
) -> ProcessRun:
    args = [slug, subject] + (["--fetch-only"] if fetch_only else [])
    run = run_probed(env, "bench.naive:main", *args, extra_env=quota)
    if run.exit_code != 0:
        raise CouldNotMeasure(f"the naive sync exited {run.exit_code}: {run.stdout}")
    return run


def naive_organization(domain: str, *, slug: str):
    """An organization for the naive reference: no integration and nobody in it yet (the naive
    sync creates every person, the domain's admin included)."""
    from organizations.models import Organization

    return Organization.objects.create(
        name="Naive", slug=slug, primary_domain=domain, seats_purchased=1_000_000
    )


def people_count(organization) -> dict:
    from usermanagement.models import Group, GroupMembership, User

    return {
        "people": User.objects.filter(organization=organization).count(),
        "groups": Group.objects.filter(organization=organization).count(),
        "memberships": GroupMembership.objects.filter(organization=organization).count(),
    }
