"""Scenario 3 — Google-like conditions: 150 ms per call and the 2,400 queries/minute quota.

Flow: seed a domain, set the sandbox's fault injection for it (latency per call, and the quota
as a token bucket per project and user, answering 403 userRateLimitExceeded past it, as
Google), connect an organization, and run Hearth's first full sync in a measured process with
Hearth's own default client settings (its quota gate included). Then the same directory is
fetched the sequential way (one call at a time: the naive reference's fetch, no writes).

API calls are counted by the sandbox server (every request it answered, rejected ones
included). The quota floor is calls ÷ 40 per second: no client can do better for long. The
sandbox's bucket starts full (a minute's allowance), as Google's does, so a run of fewer calls
than one minute's quota can finish below the floor (ratio < 1).
"""

from .. import hearth
from ..directory import domain_seed
from ..report import verdict

KEY = "google_like"
TITLE = "3. Google-like conditions (latency + quota)"
TARGET_RATIO = 1.2


def run(ctx) -> dict:
    env, scale = ctx.env, ctx.scale[KEY]
    env.sandbox_start()
    domain = domain_seed(
        "google.bench.example",
        users=scale["users"],
        groups=scale["groups"],
        members_per_group=scale["members_per_group"],
        latency_ms=scale["latency_ms"],
        qpm=scale["qpm"],
    )
    per_second = scale["qpm"] / 60
    hearth.organization_connect(env, domain.name, slug="google-bench")
    before = env.sandbox_requests()
    synced = hearth.sync(env, "google-bench")
    calls = env.sandbox_requests() - before
    floor = calls / per_second

    naive_org = hearth.naive_organization("google-naive.bench.example", slug="google-naive")
    before = env.sandbox_requests()
    sequential = hearth.naive(env, naive_org.slug, f"admin@{domain.name}", fetch_only=True)
    sequential_calls = env.sandbox_requests() - before
    sequential_floor = sequential_calls / per_second
    return {
        "users": domain.users,
        "groups": domain.groups,
        "memberships": domain.members,
        "latency_ms": scale["latency_ms"],
        "quota_per_minute": scale["qpm"],
        "api_calls": calls,
        "quota_floor_seconds": round(floor, 2),
        "sync_seconds": round(synced.command_seconds, 2),
        "sync_summary": synced.json(),
        "ratio_to_quota_floor": round(synced.command_seconds / floor, 3),
        "target_ratio_to_quota_floor": TARGET_RATIO,
        "sequential_api_calls": sequential_calls,
        "sequential_quota_floor_seconds": round(sequential_floor, 2),
        "sequential_fetch_seconds": round(sequential.command_seconds, 2),
        "ratio_sequential_to_quota_floor": round(sequential.command_seconds / sequential_floor, 3),
        "ratio_sequential_to_hearth": round(sequential.command_seconds / synced.command_seconds, 2),
    }


def table(f: dict) -> list[tuple[str, str, str]]:
    return [
        (
            "directory",
            f"{f['users']:,} users / {f['groups']:,} groups / {f['memberships']:,} members",
            "",
        ),
        ("conditions", f"{f['latency_ms']} ms per call, {f['quota_per_minute']:,} queries/min", ""),
        ("Hearth full sync", f"{f['sync_seconds']:.1f} s, {f['api_calls']:,} calls", ""),
        ("quota floor (calls ÷ 40/s)", f"{f['quota_floor_seconds']:.1f} s", ""),
        (
            "ratio sync / floor",
            f"{f['ratio_to_quota_floor']:.2f}",
            verdict(f["ratio_to_quota_floor"] <= TARGET_RATIO, "≤ 1.2"),
        ),
        (
            "sequential fetch (one call at a time)",
            f"{f['sequential_fetch_seconds']:.1f} s, {f['sequential_api_calls']:,} calls",
            "",
        ),
        ("ratio sequential / its floor", f"{f['ratio_sequential_to_quota_floor']:.2f}", ""),
    ]
