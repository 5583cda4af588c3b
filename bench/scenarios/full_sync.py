"""Scenario 1 — Hearth's first full sync at scale, against the floor and the naive way.

Flow:
1. Seed the sandbox: the main domain (users / groups / members), a same-shaped domain for the
   naive reference, a domain of `memory_users` (same proportions) for the memory curve, and two
   users-only domains for the statements count. No latency, no quota: this scenario measures
   the machine (Hearth's client-side quota gate is lifted to match, see bench/settings.py).
2. Connect an organization to the main domain (integration_finalize) and run, each in its own
   measured process: a fetch-only pass, Hearth's first full sync (`sync_directory --json`),
   a second fetch-only pass. The floor is the mean of the two fetch-only passes (one before,
   one after, so a warm or cold sandbox cache favours neither side).
3. Memory: the first full sync of the smaller domain; peak RSS of both runs (flat = ratio ~1).
4. Statements: first syncs of the two users-only directories; the difference in statements
   divided by the difference in users / 500 is the marginal cost of one page of 500 users,
   with the run's fixed overhead (lock, run record, groups) cancelled out.
5. The naive reference sync (bench/naive.py), in its own process, of a same-shaped directory of
   `naive_users` (row-by-row writes take hours at 100,000), beside Hearth's first sync of an
   identical directory: that ratio is like for like. The naive time is also extrapolated to the
   full directory by rows (people + memberships) — per-row work is linear by construction — for
   `ratio_naive_to_hearth`.

Times are the command's own wall time measured inside its process (interpreter and Django
start-up excluded, identical for every pass); API calls are counted by the sandbox server.
"""

import math

from .. import hearth
from ..directory import domain_seed
from ..report import verdict

KEY = "full_sync"
TITLE = "1. Full sync at scale"
TARGET_RATIO = 1.25
TARGET_RSS_MB = 300.0


def _sandbox_calls(env, work):
    before = env.sandbox_requests()
    result = work()
    return result, env.sandbox_requests() - before


def run(ctx) -> dict:
    env, scale = ctx.env, ctx.scale[KEY]
    users, groups, per_group = scale["users"], scale["groups"], scale["members_per_group"]
    env.sandbox_start()
    main = domain_seed(
        "full.bench.example", users=users, groups=groups, members_per_group=per_group
    )
    small_users = scale["memory_users"]
    small_groups = max(1, groups * small_users // users)
    small = domain_seed(
        "memory.bench.example", users=small_users, groups=small_groups, members_per_group=per_group
    )
    naive_users = scale["naive_users"]
    naive_shape = {
        "users": naive_users,
        "groups": max(1, groups * naive_users // users),
        "members_per_group": per_group,
    }
    naive_domain = domain_seed("naive.bench.example", **naive_shape)
    peer_domain = domain_seed("peer.bench.example", **naive_shape)
    stmt = ctx.scale["statements"]
    stmt_small = domain_seed("stmt-small.bench.example", users=stmt["small_users"])
    stmt_large = domain_seed("stmt-large.bench.example", users=stmt["large_users"])

    organization = hearth.organization_connect(env, main.name, slug="full-bench")
    quota = hearth.UNLIMITED
    fetch_a, calls_fetch_a = _sandbox_calls(
        env, lambda: hearth.fetch_only(env, "full-bench", quota=quota)
    )
    synced, calls_sync = _sandbox_calls(env, lambda: hearth.sync(env, "full-bench", quota=quota))
    counts = hearth.people_count(organization)
    fetch_b, calls_fetch_b = _sandbox_calls(
        env, lambda: hearth.fetch_only(env, "full-bench", quota=quota, as_first_sync=True)
    )
    floor = (fetch_a.command_seconds + fetch_b.command_seconds) / 2
    ctx.shared["full_sync"] = {
        "fetch_only_seconds": floor,
        "organization": organization,
        "api_calls": calls_sync,
    }

    hearth.organization_connect(env, small.name, slug="memory-bench")
    small_sync = hearth.sync(env, "memory-bench", quota=quota)
    curve = {small.users: small_sync, main.users: synced}
    for point in scale.get("curve_users", []):
        shape = {
            "users": point,
            "groups": max(1, groups * point // users),
            "members_per_group": per_group,
        }
        domain_seed(f"curve-{point}.bench.example", **shape)
        hearth.organization_connect(env, f"curve-{point}.bench.example", slug=f"curve-{point}")
        curve[point] = hearth.sync(env, f"curve-{point}", quota=quota)
    points = sorted(curve)

    hearth.organization_connect(env, stmt_small.name, slug="stmt-small-bench")
    hearth.organization_connect(env, stmt_large.name, slug="stmt-large-bench")
    s_small = hearth.sync(env, "stmt-small-bench", quota=quota)
    s_large = hearth.sync(env, "stmt-large-bench", quota=quota)
    per_500 = (s_large.statements_total - s_small.statements_total) / (
        (stmt_large.users - stmt_small.users) / 500
    )

    hearth.organization_connect(env, peer_domain.name, slug="peer-bench")
    peer = hearth.sync(env, "peer-bench", quota=quota)
    naive_org = hearth.naive_organization(naive_domain.name, slug="naive-bench")
    naive, calls_naive = _sandbox_calls(
        env, lambda: hearth.naive(env, "naive-bench", f"admin@{naive_domain.name}", quota=quota)
    )
    naive_counts = hearth.people_count(naive_org)

    rows_full = main.users + main.members
    rows_naive = naive_domain.users + naive_domain.members
    naive_extrapolated = naive.command_seconds * rows_full / rows_naive
    figures = {
        "users": main.users,
        "groups": main.groups,
        "memberships": main.members,
        "seed_seconds": main.seed_seconds,
        "sync_seconds": round(synced.command_seconds, 2),
        "sync_process_seconds": round(synced.seconds, 2),
        "sync_summary": synced.json(),
        "api_calls_sync": calls_sync,
        "fetch_only_seconds_before": round(fetch_a.command_seconds, 2),
        "fetch_only_seconds_after": round(fetch_b.command_seconds, 2),
        "fetch_only_seconds": round(floor, 2),
        "api_calls_fetch_only": [calls_fetch_a, calls_fetch_b],
        # the floor is only a floor if it made the very calls the sync made
        "fetch_only_same_calls": calls_fetch_a == calls_fetch_b == calls_sync,
        "ratio_to_fetch_only": round(synced.command_seconds / floor, 3),
        "target_ratio_to_fetch_only": TARGET_RATIO,
        "rows_after_sync": counts,
        "peak_rss_mb": round(synced.max_rss_mb, 1),
        "peak_rss_mb_fetch_only": round(max(fetch_a.max_rss_mb, fetch_b.max_rss_mb), 1),
        # first full syncs of same-shaped directories of growing size (a plot's data)
        "memory_curve": {
            "users": points,
            "peak_rss_mb": [round(curve[p].max_rss_mb, 1) for p in points],
            "sync_seconds": [round(curve[p].command_seconds, 2) for p in points],
        },
        "smaller_directory_users": small.users,
        "peak_rss_mb_smaller_directory": round(small_sync.max_rss_mb, 1),
        "ratio_peak_rss_to_smaller_directory": round(synced.max_rss_mb / small_sync.max_rss_mb, 3),
        "target_peak_rss_mb": TARGET_RSS_MB,
        "db_statements": synced.statements_total,
        "db_statements_by_kind": synced.statements,
        "db_statements_per_500_users": round(per_500, 1),
        "db_statements_per_500_users_basis": {
            "users": [stmt_small.users, stmt_large.users],
            "statements": [s_small.statements_total, s_large.statements_total],
        },
        # the naive reference, measured on a same-shaped smaller directory (see scales.py)
        "naive_directory": {
            "users": naive_domain.users,
            "groups": naive_domain.groups,
            "memberships": naive_domain.members,
        },
        "naive_seconds": round(naive.command_seconds, 2),
        "naive_api_calls": calls_naive,
        "naive_db_statements": naive.statements_total,
        "naive_peak_rss_mb": round(naive.max_rss_mb, 1),
        "naive_rows_after_sync": naive_counts,
        "hearth_seconds_same_directory": round(peer.command_seconds, 2),
        "hearth_db_statements_same_directory": peer.statements_total,
        "ratio_naive_to_hearth_same_directory": round(
            naive.command_seconds / peer.command_seconds, 2
        ),
        # per-row work grows linearly with rows: scaled by rows (people + memberships)
        "naive_seconds_extrapolated": round(naive_extrapolated, 1),
        "ratio_naive_to_hearth": round(naive_extrapolated / synced.command_seconds, 2),
        "user_pages_of_500": math.ceil(main.users / 500),
        "sync_source": "sync_directory --json",
        "fetch_only_source": hearth.fetch_only_source(env),
    }
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    curve = f["memory_curve"]
    return [
        (
            "directory",
            f"{f['users']:,} users / {f['groups']:,} groups / {f['memberships']:,} members",
            "",
        ),
        ("Hearth first full sync", f"{f['sync_seconds']:.1f} s, {f['api_calls_sync']:,} calls", ""),
        ("fetch-only pass (floor)", f"{f['fetch_only_seconds']:.1f} s", ""),
        (
            "ratio sync / fetch-only",
            f"{f['ratio_to_fetch_only']:.2f}",
            verdict(f["ratio_to_fetch_only"] <= TARGET_RATIO, "≤ 1.25"),
        ),
        (
            f"naive sync at {f['naive_directory']['users']:,} users (per-row ORM, sequential)",
            f"{f['naive_seconds']:.1f} s",
            "",
        ),
        (
            f"Hearth at {f['naive_directory']['users']:,} users",
            f"{f['hearth_seconds_same_directory']:.1f} s",
            f"ratio naive / Hearth {f['ratio_naive_to_hearth_same_directory']:.1f}x",
        ),
        (
            "naive extrapolated to the full directory",
            f"{f['naive_seconds_extrapolated']:.0f} s",
            f"ratio naive / Hearth {f['ratio_naive_to_hearth']:.1f}x",
        ),
        (
            "peak memory of the syncing process",
            f"{f['peak_rss_mb']:.0f} MB",
            verdict(f["peak_rss_mb"] <= TARGET_RSS_MB, "≤ 300 MB"),
        ),
        (
            f"peak memory at {f['smaller_directory_users']:,} users",
            f"{f['peak_rss_mb_smaller_directory']:.0f} MB",
            f"ratio {f['ratio_peak_rss_to_smaller_directory']:.2f} (flat ≈ 1)",
        ),
        (
            "size curve: users -> s, MB",
            "; ".join(
                f"{u:,} -> {t:.0f} s, {m:.0f} MB"
                for u, t, m in zip(
                    curve["users"], curve["sync_seconds"], curve["peak_rss_mb"], strict=True
                )
            ),
            "",
        ),
        ("DB statements, whole run", f"{f['db_statements']:,}", ""),
        ("DB statements per 500 users (marginal)", f"{f['db_statements_per_500_users']:.1f}", ""),
    ]
