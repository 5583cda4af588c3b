"""Sandbox directories for the scenarios: seeded once per (shape), installed, API access on.

Seeding goes through googlesandbox.operations.seed (COPY on PostgreSQL), in this process: the
directory stands for one that already exists at Google, so its cost is not part of any figure.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxDomain:
    name: str
    admin_email: str
    users: int
    groups: int
    members: int
    seed_seconds: float


def domain_seed(
    name: str,
    *,
    users: int,
    groups: int = 0,
    members_per_group: int = 0,
    latency_ms: int = 0,
    qpm: int = 1_000_000,
) -> SandboxDomain:
    import time

    from googlesandbox import operations

    started = time.perf_counter()
    result = operations.seed(
        name, users=users, groups=groups, members_per_group=members_per_group, admins=1, seed=7
    )
    seconds = time.perf_counter() - started
    operations.set_api_access(domain=result.domain, enabled=True)
    operations.install(domain=result.domain, delay_seconds=0)  # installed before the run
    faults_set(name, latency_ms=latency_ms, qpm=qpm)
    return SandboxDomain(
        name=result.domain.name,
        admin_email=result.admin_emails[0],
        users=result.users,
        groups=result.groups,
        members=result.members,
        seed_seconds=round(seconds, 2),
    )


def faults_set(
    name: str, *, latency_ms: int = 0, qpm: int = 1_000_000, concurrent_limit: int = 0
) -> None:
    """Latency, quota and concurrency limit only; no random errors (those belong to the
    reliability tests). Defaults: no limits, for scenarios that are not Google-like."""
    from googlesandbox import operations

    operations.faults_set(
        domain=name,
        latency_ms=latency_ms,
        jitter_ms=0,
        error_rates={},
        qpm=qpm,
        concurrent_limit=concurrent_limit,
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
