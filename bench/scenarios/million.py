"""Scenario 11 (`make bench-scale`) — a million people: 1,000,000 people / 50,000 groups /
3,000,000 memberships seeded in the sandbox, synced, re-synced, and listed.

Flow, in a world of its own (up to two hours on two cores):
1. The directory seeded (in a process of its own) and an organization connected.
2. One interleaved pair (after a CHECKPOINT each): a fetch-only pass, then the first sync.
3. One pair: a fetch-only pass, then a re-sync with nothing changed (every table's rows
   written counted, as in scenario 2).
4. The people list under load on the synced million (scenario 4's measurement: gunicorn,
   8 clients, while the first sync of a second directory writes).

Targets: first sync ≤ 1.25 x fetch-only, re-sync ≤ 1.05 x fetch-only with 0 data rows
written, peak memory ≤ 400 MB (first sync and re-sync), people list p95 ≤ 150 ms.
"""

from .. import hearth, method, writes
from ..directory import domain_seed
from . import people_list

KEY = "million"
TITLE = "11. A million people"
SLUG = "million-bench"
TARGET_FIRST = method.Target(1.25)
TARGET_RESYNC = method.Target(1.05)
TARGET_RSS_MB = 400.0


def run(ctx) -> dict:
    from usermanagement.models import User

    env, scale = ctx.env, ctx.scale[KEY]
    ctx.world(KEY)
    domain = domain_seed(
        "million.bench.example",
        users=scale["users"],
        groups=scale["groups"],
        members_per_group=scale["members_per_group"],
        env=env,
    )
    organization = hearth.organization_connect(env, domain.name, slug=SLUG)
    figures: dict = {
        "users": domain.users,
        "groups": domain.groups,
        "memberships": domain.members,
        "seed_seconds": domain.seed_seconds,
    }
    fetch_first = hearth.timed(env, lambda: hearth.fetch_only(env, SLUG, quota=hearth.UNLIMITED))
    first = hearth.timed(env, lambda: hearth.sync(env, SLUG, quota=hearth.UNLIMITED))
    figures.update(
        method.comparison(
            "first_sync_to_fetch_only",
            [first.command_seconds / fetch_first.command_seconds],
            TARGET_FIRST,
        )
    )
    fetch_again = hearth.timed(env, lambda: hearth.fetch_only(env, SLUG, quota=hearth.UNLIMITED))
    resync = hearth.timed(env, lambda: hearth.sync(env, SLUG, quota=hearth.UNLIMITED))
    figures.update(
        method.comparison(
            "resync_to_fetch_only",
            [resync.command_seconds / fetch_again.command_seconds],
            TARGET_RESYNC,
        )
    )
    data_rows = writes.data_rows(resync.written)
    peak = max(first.max_rss_mb, resync.max_rss_mb)
    figures.update(
        {
            "first_sync": first.summary(),
            "fetch_only_before_first_sync": fetch_first.summary(),
            "resync": resync.summary(),
            "fetch_only_before_resync": fetch_again.summary(),
            "rows_after_sync": hearth.people_count(organization),
            "rows_written_resync": data_rows,
            **method.check("rows_written_resync", data_rows == 0),
            "peak_rss_mb_first_sync": round(first.max_rss_mb, 1),
            "peak_rss_mb_resync": round(resync.max_rss_mb, 1),
            **method.comparison("peak_rss_to_400mb", [peak / TARGET_RSS_MB], method.Target(1.0)),
        }
    )
    params = scale["people_list"]
    writer = params["writer"]
    domain_seed(
        people_list.WRITER_DOMAIN,
        users=writer["users"],
        groups=writer["groups"],
        members_per_group=writer["members_per_group"],
        env=env,
    )
    hearth.organization_connect(env, people_list.WRITER_DOMAIN, slug=people_list.WRITER_SLUG)
    listed = people_list.measure(
        ctx,
        organization=organization,
        admin=User.objects.get(email=f"admin@{domain.name}"),
        domain=domain.name,
        people=User.objects.filter(organization=organization).count(),
        params=params,
    )
    figures["people_list"] = listed
    for name, value in listed.items():  # its verdicts beside the others, in the summary
        prefix = next((p for p in method.KEY_PREFIXES if name.startswith(p)), None)
        if prefix:
            figures[f"{prefix}people_list_{name[len(prefix) :]}"] = value
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    load = f["people_list"]["under_load"]
    return [
        (
            "directory",
            f"{f['users']:,} users / {f['groups']:,} groups / {f['memberships']:,} members",
            f"seeded in {f['seed_seconds']:.0f} s",
        ),
        (
            "first sync / fetch-only",
            f"{f['first_sync']['seconds']:.0f} s / "
            f"{f['fetch_only_before_first_sync']['seconds']:.0f} s",
            method.target_text(f, "first_sync_to_fetch_only")
            + f" ({method.describe(f, 'first_sync_to_fetch_only')})",
        ),
        (
            "re-sync / fetch-only",
            f"{f['resync']['seconds']:.0f} s / {f['fetch_only_before_resync']['seconds']:.0f} s",
            method.target_text(f, "resync_to_fetch_only")
            + f" ({method.describe(f, 'resync_to_fetch_only')})",
        ),
        (
            "data rows written by the re-sync",
            f"{f['rows_written_resync']:,}",
            method.target_text(f, "rows_written_resync", label="0"),
        ),
        (
            "peak memory first sync / re-sync",
            f"{f['peak_rss_mb_first_sync']:.0f} MB / {f['peak_rss_mb_resync']:.0f} MB",
            method.target_text(f, "peak_rss_to_400mb", label="≤ 400 MB"),
        ),
        (
            "people list under load p95",
            f"{load['p95_ms'] or 0:.0f} ms (n={load['n']})",
            method.target_text(f, "people_list_under_load_p95_to_150ms", label="≤ 150 ms"),
        ),
    ]
