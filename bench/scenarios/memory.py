"""Scenario 6 — memory against directory size: the curve of first syncs, and statements per page.

Flow, in a world of its own: for each size of `curve_users`, a directory of the main shape
(groups = users / 20, the main directory's members per group) is seeded, an organization
connected and its first sync run in a measured process (after a CHECKPOINT): its peak memory
(the process's own high-water mark) and time. The main directory's first syncs (scenario 1)
are the point at its size when they ran in this run.

Flat: the highest peak at `flat_from` users and above, over the peak at `flat_from`
(≤ 1.15); and no point above 300 MB. Statements per 500 users: first syncs of two users-only
directories; the difference in statements (COPY counted) over the difference in users / 500 —
the run's fixed costs cancel out.
"""

from .. import hearth, method
from ..directory import domain_seed

KEY = "memory"
TITLE = "6. Memory against directory size"
TARGET_FLAT = method.Target(1.15)
TARGET_RSS_MB = 300.0


def _first_sync(ctx, users: int, *, groups: int, per_group: int):
    name = f"curve-{users}.bench.example"
    domain_seed(name, users=users, groups=groups, members_per_group=per_group, env=ctx.env)
    hearth.organization_connect(ctx.env, name, slug=f"curve-{users}")
    return hearth.timed(
        ctx.env, lambda: hearth.sync(ctx.env, f"curve-{users}", quota=hearth.UNLIMITED)
    )


def run(ctx) -> dict:
    params = ctx.scale[KEY]
    main = ctx.scale["main"]
    per_group = main["members_per_group"]
    groups_per_user = main["groups"] / main["users"]
    ctx.world("memory")
    points: dict[int, dict] = {}
    first = ctx.figures("full_sync")
    if first.get("first_sync"):
        points[first["users"]] = {
            "peak_rss_mb": first["peak_rss_mb"],
            "seconds": first["first_sync"]["seconds_median"],
            "source": "scenario 1 (highest peak of its first syncs)",
        }
    for users in params["curve_users"]:
        run_ = _first_sync(
            ctx, users, groups=max(1, round(users * groups_per_user)), per_group=per_group
        )
        points[users] = {
            "peak_rss_mb": round(run_.max_rss_mb, 1),
            "seconds": round(run_.command_seconds, 2),
            "cpu_seconds": round(run_.cpu_seconds, 2),
            # --profile: where each size's time and memory go (the lines held at the peak)
            **({"profile": run_.profile} if run_.profile else {}),
        }
    sizes = sorted(points)
    flat_from = params["flat_from"]
    base = points[flat_from]["peak_rss_mb"]
    above = [points[u]["peak_rss_mb"] for u in sizes if u >= flat_from]
    highest = max(p["peak_rss_mb"] for p in points.values())

    stmt = params["statements"]
    small = domain_seed("stmt-small.bench.example", users=stmt["small_users"])
    large = domain_seed("stmt-large.bench.example", users=stmt["large_users"])
    hearth.organization_connect(ctx.env, small.name, slug="stmt-small")
    hearth.organization_connect(ctx.env, large.name, slug="stmt-large")
    s_small = hearth.sync(ctx.env, "stmt-small", quota=hearth.UNLIMITED)
    s_large = hearth.sync(ctx.env, "stmt-large", quota=hearth.UNLIMITED)
    per_500 = (s_large.statements_total - s_small.statements_total) / (
        (large.users - small.users) / 500
    )
    return {
        "curve": {
            "users": sizes,
            "peak_rss_mb": [points[u]["peak_rss_mb"] for u in sizes],
            "sync_seconds": [points[u]["seconds"] for u in sizes],
        },
        "points": {str(u): points[u] for u in sizes},
        "flat_from_users": flat_from,
        **method.comparison("peak_rss_flat", [max(above) / base], TARGET_FLAT),
        "peak_rss_mb_max": highest,
        **method.comparison("peak_rss_max_to_300mb", [highest / TARGET_RSS_MB], method.Target(1.0)),
        "db_statements_per_500_users": round(per_500, 1),
        "db_statements_per_500_users_basis": {
            "users": [small.users, large.users],
            "statements": [s_small.statements_total, s_large.statements_total],
            "by_kind_large": s_large.statements,
        },
    }


def table(f: dict) -> list[tuple[str, str, str]]:
    curve = f["curve"]
    return [
        (
            "first sync: users -> s, MB",
            "; ".join(
                f"{u:,} -> {t:.0f} s, {m:.0f} MB"
                for u, t, m in zip(
                    curve["users"], curve["sync_seconds"], curve["peak_rss_mb"], strict=True
                )
            ),
            "",
        ),
        (
            f"highest peak from {f['flat_from_users']:,} users / peak there",
            method.describe(f, "peak_rss_flat"),
            method.target_text(f, "peak_rss_flat"),
        ),
        (
            "highest peak",
            f"{f['peak_rss_mb_max']:.0f} MB",
            method.target_text(f, "peak_rss_max_to_300mb", label="≤ 300 MB"),
        ),
        ("DB statements per 500 users (marginal)", f"{f['db_statements_per_500_users']:.1f}", ""),
    ]
