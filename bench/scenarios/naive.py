"""Scenario 9 — the naive references beside Hearth, at two sizes.

Flow, in a world of its own, for each size of `sizes`: three same-shaped directories (groups =
users / 20) — one for Hearth's first sync (`sync_directory`), one for the row-by-row reference
and one for the better first draft (bench/naive.py: `row` and `paged`), each sync in its own
measured process after a CHECKPOINT. All three read with one call at a time or Hearth's own
concurrency, and none has latency or quota: this is the machine's cost of each way of writing.
Two sizes show how each grows.

No target: the ratios say how far Hearth is from the obvious ways.
"""

from .. import hearth, method
from ..directory import domain_seed

KEY = "naive"
TITLE = "9. Naive references (per-row ORM; one transaction per page)"


def run(ctx) -> dict:
    env, scale = ctx.env, ctx.scale[KEY]
    ctx.world(KEY)
    main = ctx.scale["main"]
    groups_per_user = main["groups"] / main["users"]
    figures: dict = {"sizes": scale["sizes"], "by_size": {}}
    for users in scale["sizes"]:
        shape = {
            "users": users,
            "groups": max(1, round(users * groups_per_user)),
            "members_per_group": scale["members_per_group"],
        }
        hearth_domain = domain_seed(f"hearth-{users}.bench.example", **shape, env=env)
        row_domain = domain_seed(f"row-{users}.bench.example", **shape, env=env)
        paged_domain = domain_seed(f"paged-{users}.bench.example", **shape, env=env)
        hearth.organization_connect(env, hearth_domain.name, slug=f"hearth-{users}")
        hearth_run = hearth.timed(
            env, lambda u=users: hearth.sync(env, f"hearth-{u}", quota=hearth.UNLIMITED)
        )
        row_org = hearth.naive_organization(row_domain.name, slug=f"row-{users}")
        row_run = hearth.timed(
            env,
            lambda u=users, d=row_domain: hearth.naive(
                env, f"row-{u}", d.admin_email, kind="row", quota=hearth.UNLIMITED
            ),
        )
        paged_org = hearth.naive_organization(paged_domain.name, slug=f"paged-{users}")
        paged_run = hearth.timed(
            env,
            lambda u=users, d=paged_domain: hearth.naive(
                env, f"paged-{u}", d.admin_email, kind="paged", quota=hearth.UNLIMITED
            ),
        )
        figures["by_size"][str(users)] = {
            "directory": {
                "users": hearth_domain.users,
                "groups": hearth_domain.groups,
                "memberships": hearth_domain.members,
            },
            "hearth": hearth_run.summary(),
            "row": {**row_run.summary(), "rows_after": hearth.people_count(row_org)},
            "paged": {**paged_run.summary(), "rows_after": hearth.people_count(paged_org)},
        }
        figures.update(
            method.comparison(
                f"naive_row_to_hearth_{users}",
                [row_run.command_seconds / hearth_run.command_seconds],
                None,
                digits=2,
            )
        )
        figures.update(
            method.comparison(
                f"naive_paged_to_hearth_{users}",
                [paged_run.command_seconds / hearth_run.command_seconds],
                None,
                digits=2,
            )
        )
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    rows = []
    for users in f["sizes"]:
        s = f["by_size"][str(users)]
        d = s["directory"]
        rows.append(
            (
                f"{d['users']:,} users / {d['memberships']:,} members: Hearth",
                f"{s['hearth']['seconds']:.1f} s",
                f"{s['hearth']['statements']:,} statements",
            )
        )
        rows.append(
            (
                "… per-row ORM",
                f"{s['row']['seconds']:.1f} s",
                f"{f[f'ratio_naive_row_to_hearth_{users}']:.1f}x Hearth, "
                f"{s['row']['statements']:,} statements",
            )
        )
        rows.append(
            (
                "… one transaction per page",
                f"{s['paged']['seconds']:.1f} s",
                f"{f[f'ratio_naive_paged_to_hearth_{users}']:.1f}x Hearth, "
                f"{s['paged']['statements']:,} statements",
            )
        )
    return rows
