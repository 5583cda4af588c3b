"""Sandbox directories for the scenarios: seeded, installed, API access on, limits set.

Seeding goes through googlesandbox.operations.seed (COPY on PostgreSQL): the directory stands for
one that already exists at Google, so its cost is not part of any figure. Large directories are
seeded in a process of their own (`python -m bench.directory NAME USERS GROUPS PER_GROUP`), so
the harness does not keep the seed's gigabytes of rows for the rest of the run; small ones (the
200 of the many-organizations scenario) in this process, where a process start would cost more
than the seed.

The sandbox's limits are set per domain (`faults_set`): none for the scenarios that measure the
machine, Google's latency, strict per-minute window and concurrency limit for the Google-like
ones, seeded random errors for the fault scenario.
"""

import json
import subprocess
import sys
import time
from dataclasses import dataclass

from .env import ROOT, CouldNotMeasure

IN_PROCESS_BELOW = 50_000  # users


@dataclass(frozen=True)
class SandboxDomain:
    name: str
    admin_email: str
    users: int
    groups: int
    members: int
    seed_seconds: float


def _seed(name: str, users: int, groups: int, members_per_group: int) -> dict:
    from googlesandbox import operations

    result = operations.seed(
        name, users=users, groups=groups, members_per_group=members_per_group, admins=1, seed=7
    )
    return {
        "users": result.users,
        "groups": result.groups,
        "members": result.members,
        "admin_email": result.admin_emails[0],
    }


def domain_seed(
    name: str,
    *,
    users: int,
    groups: int = 0,
    members_per_group: int = 0,
    latency_ms: int = 0,
    qpm: int = 1_000_000,
    concurrent_limit: int = 0,
    env=None,
) -> SandboxDomain:
    from googlesandbox import operations

    started = time.perf_counter()
    if env is not None and users >= IN_PROCESS_BELOW:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.directory",
                name,
                str(users),
                str(groups),
                str(members_per_group),
            ],
            cwd=ROOT,
            env=env.environ,
            capture_output=True,
            text=True,
            timeout=4 * 3600,
        )
        if done.returncode != 0:
            raise CouldNotMeasure(f"seeding {name} failed: {done.stderr[-2000:]}")
        seeded = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        seeded = _seed(name, users, groups, members_per_group)
    seconds = time.perf_counter() - started
    operations.set_api_access(domain=name, enabled=True)
    operations.install(domain=name, delay_seconds=0)  # installed before the run
    faults_set(name, latency_ms=latency_ms, qpm=qpm, concurrent_limit=concurrent_limit)
    return SandboxDomain(
        name=name,
        admin_email=seeded["admin_email"],
        users=seeded["users"],
        groups=seeded["groups"],
        members=seeded["members"],
        seed_seconds=round(seconds, 2),
    )


def faults_set(
    name: str,
    *,
    latency_ms: int = 0,
    qpm: int = 1_000_000,
    concurrent_limit: int = 0,
    error_rates: dict | None = None,
    seed: int | None = None,
    timeout_seconds: float | None = None,
) -> None:
    """Latency, quota and concurrency limit, and (the fault scenario only) seeded random errors.
    Defaults: no limits, no errors, for scenarios that are not Google-like."""
    from googlesandbox import operations

    operations.faults_set(
        domain=name,
        latency_ms=latency_ms,
        jitter_ms=0,
        error_rates=error_rates or {},
        qpm=qpm,
        concurrent_limit=concurrent_limit,
        seed=seed,
        timeout_seconds=timeout_seconds,
    )


def access_token(name: str) -> str:
    """A bearer token for the domain's admin, minted directly (the JWT grant is not measured)."""
    from googlesandbox import operations
    from googlesandbox.models import DirUser, Domain

    domain = Domain.objects.get(name=name)
    admin = DirUser.objects.get(domain=domain, primary_email=f"admin@{name}")
    token = operations.access_token_issue(
        domain=domain,
        subject=admin,
        subject_email=admin.primary_email,
        client_id=operations.hearth_client_id(),
        scopes=operations.hearth_scopes(),
    )
    return token.token


def sandbox_warm(base_url: str, name: str) -> None:
    """One call of each kind a sync makes, untimed: a sandbox server just started pays its
    first requests' one-off costs (lazy imports, the URL resolver, its connection pool) here
    rather than in the first timed pass."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token(name)}"
    api = f"{base_url}/admin/directory/v1"
    session.get(f"{api}/customers/my_customer", timeout=60)
    for deleted in (False, True):
        params = {"customer": "my_customer", "maxResults": 500, "orderBy": "email"}
        if deleted:
            params["showDeleted"] = "true"
        session.get(f"{api}/users", params={**params, "projection": "full"}, timeout=60)
    groups = session.get(
        f"{api}/groups", params={"customer": "my_customer", "maxResults": 200}, timeout=60
    ).json()
    for group in groups.get("groups", [])[:3]:
        session.get(f"{api}/groups/{group['id']}/members", params={"maxResults": 200}, timeout=60)


if __name__ == "__main__":
    import django

    django.setup()
    domain, users, groups, per_group = sys.argv[1:5]
    print(json.dumps(_seed(domain, int(users), int(groups), int(per_group))))
