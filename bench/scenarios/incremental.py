"""Scenario 3 — an incremental change at scale: rows written = exactly the changes.

Flow, in the main world after its syncs:
1. A reference full sync with nothing changed (its time is "a full sync").
2. Changes made in the sandbox through googlesandbox.operations, chosen with a fixed seed among
   the synced people and groups: `edit_pct`% of people renamed (given name), `remove_pct`%
   suspended or deleted (half each), and `group_pct`% of the groups with one member removed and
   one person added. Groups nested in others are left out, so each membership change is one
   row. The organization's safety threshold is raised above the removals first (an admin's
   setting), so that the apply is measured rather than held for review.
3. The expected rows, per table: people = renamed + suspended + deleted (one row each);
   memberships = added + removed + every membership of the deleted people (Google no longer
   lists them as members); groups = 0 (a membership change does not change the group).
4. Through a full sync (now): `sync_directory` in a measured process; rows written per table
   against the expected rows; time as a ratio to the reference.
5. Through the real-time path (`through_realtime`, once the product has one): with web,
   workers and beat running as in production and the channels open, a second set of changes
   of the same shape (another seed) is made; Hearth is polled until it shows every one. Rows
   written per table against the expected rows (PostgreSQL's counters, read with the processes
   idle and again after they exited); the real-time runs' summed working time as a ratio to
   the reference full sync — target "≪ a full sync", read as ≤ 0.1 — with the wall time from
   the first change to the last applied beside it; and the same ratio for every refresh task
   the workers ran, read from their logs (also the runs that changed nothing, which delete
   themselves, and the attempts that found the lock taken). Both paths run under the same
   conditions: the sandbox imposes no quota here and Hearth's own per-minute gate is lifted for the
   reference sync, so it is lifted for the real-time processes too (under the gate, at
   Google's 2,400 queries a minute, the real-time runs spent most of their time waiting for it
   while the reference did not wait at all). The Google calls of each path are shown beside:
   they are what the quota would cost; and the CPU seconds of Hearth's processes (web,
   workers, beat) against the reference sync's: the runs' working time also counts the
   waiting for a core while the sandbox and PostgreSQL share the machine's two.
"""

import contextlib
import importlib.util
import random
import re
import time

from .. import hearth, method, worlds, writes
from ..env import free_port, process_cpu_seconds

KEY = "incremental"
TITLE = "3. Incremental change at scale"
TARGET_REALTIME = method.Target(0.1)
IDLE_FLUSH_SECONDS = 11
REALTIME_DEADLINE_SECONDS = 600
REFRESH_TASK = "integrations.realtime.refresh_apply"


def changes_make(organization, params: dict, *, seed: int = 17) -> dict:
    """Make the changes in the sandbox; return what was changed and the rows expected."""
    from googlesandbox import operations
    from usermanagement.models import Group, GroupMembership, User

    rng = random.Random(seed)
    people = list(
        User.objects.filter(
            organization=organization,
            status=User.Status.ACTIVE,
            google_is_admin=False,
            google_id__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "email", "first_name")
    )
    count = len(people)
    n_edit = max(1, round(count * params["edit_pct"] / 100))
    n_remove = max(2, round(count * params["remove_pct"] / 100))
    chosen = rng.sample(people, n_edit + n_remove)
    edited, removed = chosen[:n_edit], chosen[n_edit:]
    suspended, deleted = removed[: n_remove // 2], removed[n_remove // 2 :]
    deleted_pks = {pk for pk, _, _ in deleted}
    away = deleted_pks | {pk for pk, _, _ in suspended}

    memberships = GroupMembership.objects.filter(organization=organization)
    nested = set(
        memberships.filter(member_group__isnull=False).values_list("group_id", flat=True)
    ) | set(
        memberships.filter(member_group__isnull=False).values_list("member_group_id", flat=True)
    )
    groups = [
        g
        for g in Group.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", "email")
        if g[0] not in nested
    ]
    n_groups = max(1, round(len(groups) * params["group_pct"] / 100))
    changed_groups = rng.sample(groups, min(n_groups, len(groups)))
    by_pk = {pk: email for pk, email, _ in people}
    candidates = [pk for pk, _, _ in people if pk not in away]
    member_changes = []
    for group_pk, group_email in changed_groups:
        current = set(
            memberships.filter(group_id=group_pk, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        # only the people the changes may touch (a Google admin may be a member too)
        removable = sorted((current - away) & by_pk.keys())
        if removable:
            member_changes.append(("remove", group_email, by_pk[rng.choice(removable)]))
        for _ in range(20):
            newcomer = rng.choice(candidates)
            if newcomer not in current:
                member_changes.append(("add", group_email, by_pk[newcomer]))
                break
    deleted_memberships = memberships.filter(user_id__in=deleted_pks).count()

    for _, email, first_name in edited:
        operations.user_update(email=email, given_name=f"{first_name}-renamed")
    for _, email, _ in suspended:
        operations.user_suspend(email=email)
    for _, email, _ in deleted:
        operations.user_delete(email=email)
    for action, group_email, member_email in member_changes:
        if action == "add":
            operations.member_add(group_email=group_email, member_email=member_email)
        else:
            operations.member_remove(group_email=group_email, member_email=member_email)
    added = sum(1 for c in member_changes if c[0] == "add")
    removed_members = len(member_changes) - added
    detail = {
        "renamed": [(email, f"{first_name}-renamed") for _, email, first_name in edited],
        "suspended": [email for _, email, _ in suspended],
        "deleted": [email for _, email, _ in deleted],
        "members": member_changes,
    }
    return {
        "detail": detail,
        "people": count,
        "edited": len(edited),
        "suspended": len(suspended),
        "deleted": len(deleted),
        "groups_changed": len(changed_groups),
        "members_added": added,
        "members_removed": removed_members,
        "memberships_of_deleted_people": deleted_memberships,
        "expected_rows": {
            "usermanagement_user": len(edited) + len(suspended) + len(deleted),
            "usermanagement_group": 0,
            "usermanagement_groupmembership": added + removed_members + deleted_memberships,
        },
    }


def applied_left(organization, detail: dict) -> int:
    """How many of the changes Hearth does not show yet."""
    from usermanagement.models import GroupMembership, User

    people = {
        email: (first_name, status)
        for email, first_name, status in User.objects.filter(
            organization=organization,
            email__in=[e for e, _ in detail["renamed"]] + detail["suspended"] + detail["deleted"],
        ).values_list("email", "first_name", "status")
    }
    left = sum(1 for email, name in detail["renamed"] if people.get(email, ("",))[0] != name)
    left += sum(
        1 for e in detail["suspended"] if people.get(e, ("", ""))[1] != User.Status.DEACTIVATED
    )
    left += sum(1 for e in detail["deleted"] if people.get(e, ("", ""))[1] != User.Status.ARCHIVED)
    held = set(
        GroupMembership.objects.filter(
            organization=organization,
            group__email__in=[g for _, g, _ in detail["members"]],
            user__email__in=[m for _, _, m in detail["members"]],
        ).values_list("group__email", "user__email")
    )
    for action, group_email, member_email in detail["members"]:
        left += ((group_email, member_email) in held) != (action == "add")
    return left


def through_realtime(ctx, changes: dict) -> dict | None:
    """The real-time path (push + activity feed, issue 14) for a second set of changes of the
    same shape (the first one is applied by now), with web, workers and beat running as in
    production (scenario `propagation` starts them the same way). Time: from the first change
    made to Hearth showing every one of them (polled every 0.2 s). Rows written: PostgreSQL's
    counters of the people tables, read once the processes were idle (their counters flushed)
    and again after they exited. None while the product has no real-time path."""
    if importlib.util.find_spec("integrations.realtime") is None:
        return None
    from . import propagation

    env = ctx.env
    world = worlds.main_world(ctx, synced=True)
    organization = world.organization
    params = ctx.scale[KEY]
    port = free_port()
    env.environ["SITE_URL"] = f"http://127.0.0.1:{port}"
    env.environ.update(hearth.UNLIMITED)  # as the reference full sync ran
    try:
        web = env.gunicorn_start(workers=2, port=port)
        workers = env.workers_start(2)
        beat = env.beat_start()
        started_processes = [web, *workers, beat]
        roles = {"web": [web], "workers": workers, "beat": [beat]}
        from integrations.realtime.tasks import channels_open_task

        channels_open_task.delay(organization.pk)
        propagation._wait("the channels and a feed poll", lambda: _idle(organization))
        time.sleep(IDLE_FLUSH_SECONDS)  # idle backends report their counters within 10 s
        before = writes.table_counters()
        cpu_before = {role: _cpu_seconds(processes) for role, processes in roles.items()}
        logs_before = {w.log_path: w.log_path.stat().st_size for w in workers}
        removals = max(2, round(world.domain.users * params["remove_pct"] / 100))
        hearth.settings_update(organization, deactivation_threshold=removals * 4)
        started = time.time()
        made = changes_make(organization, params, seed=18)
        made_seconds = time.time() - started
        deadline = started + REALTIME_DEADLINE_SECONDS
        while (left := applied_left(organization, made["detail"])) and time.time() < deadline:
            time.sleep(0.2)
        seconds = time.time() - started
        cpu = {
            role: round(_cpu_seconds(processes) - cpu_before[role], 2)
            for role, processes in roles.items()
        }
        tasks = _tasks_seconds(logs_before)
        runs = _incremental_runs(organization, started)
        for process in reversed(started_processes):
            env.stop(process)
        time.sleep(1)
        after = writes.table_counters()
    finally:
        env.environ.pop("SITE_URL", None)
        for name in hearth.UNLIMITED:
            env.environ.pop(name, None)
    written = writes.difference(before, after)
    made.pop("detail")
    return {
        "changes": made,
        "seconds": round(seconds, 2),
        "changes_made_seconds": round(made_seconds, 2),
        "after_last_change_seconds": round(seconds - made_seconds, 2),
        **runs,
        "hearth_cpu_seconds": round(sum(cpu.values()), 2),
        "hearth_cpu_seconds_by_process": cpu,
        # every task the workers ran, from their logs: also the refreshes whose run changed
        # nothing (deleted, so not among `runs`) and the attempts that found the lock taken
        "worker_tasks": tasks,
        "not_applied": left,
        "written": {
            table: written.get(table, {"inserted": 0, "updated": 0, "deleted": 0})
            for table in hearth.PEOPLE_TABLES
        },
        "records_written": writes.grouped(written)["records_by_table"],
    }


def _cpu_seconds(processes) -> float:
    """CPU seconds of Hearth's processes and their children (gunicorn's workers) so far."""
    total = 0.0
    for process in processes:
        pids = [process.pid]
        children = f"/proc/{process.pid}/task/{process.pid}/children"
        with contextlib.suppress(OSError), open(children) as fh:
            pids += [int(pid) for pid in fh.read().split()]
        total += sum(process_cpu_seconds(pid) for pid in pids)
    return total


TASK_DONE = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([0-9.]+)s")


def _tasks_seconds(logs_from: dict) -> dict:
    """Per task name, how many the workers ran and their summed time, read from the workers'
    logs (Celery's "Task NAME[ID] succeeded in S s" lines) after the given offsets."""
    tasks: dict[str, dict] = {}
    for path, offset in logs_from.items():
        with open(path, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
        for name, seconds in TASK_DONE.findall(text):
            task = tasks.setdefault(name, {"count": 0, "seconds": 0.0})
            task["count"] += 1
            task["seconds"] = round(task["seconds"] + float(seconds), 3)
    return tasks


def _incremental_runs(organization, since: float) -> dict:
    """The real-time runs since `since`: how many, their summed working time and calls."""
    from datetime import UTC, datetime

    from integrations.models import SyncRun

    runs = list(
        SyncRun.objects.filter(
            organization=organization,
            mode=SyncRun.Mode.INCREMENTAL,
            created_at__gte=datetime.fromtimestamp(since, UTC),
        ).values_list("started_at", "finished_at", "api_calls", "status")
    )
    return {
        "runs": len(runs),
        "runs_by_status": {s: sum(1 for r in runs if r[3] == s) for s in {r[3] for r in runs}},
        "runs_seconds": round(sum((f - s).total_seconds() for s, f, _, _ in runs if s and f), 2),
        "runs_api_calls": sum(r[2] for r in runs),
    }


def _idle(organization):
    """Channels confirmed, a feed poll made, nothing queued or running: ready to measure."""
    from integrations.models import PendingRefresh, SyncRun

    from . import propagation

    ready = propagation._realtime_ready(organization)
    if not ready:
        return None
    if PendingRefresh.objects.filter(organization=organization).exists():
        return None
    if SyncRun.objects.filter(
        organization=organization, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
    ).exists():
        return None
    return ready


def run(ctx) -> dict:
    env = ctx.env
    world = worlds.main_world(ctx, synced=True)
    slug = worlds.MAIN_SLUG
    reference = hearth.timed(env, lambda: hearth.sync(env, slug, quota=hearth.UNLIMITED))
    params = ctx.scale[KEY]
    removals = max(2, round(world.domain.users * params["remove_pct"] / 100))
    hearth.settings_update(world.organization, deactivation_threshold=removals * 2)
    changes = changes_make(world.organization, params)
    changes.pop("detail")
    applied = hearth.timed(env, lambda: hearth.sync(env, slug, quota=hearth.UNLIMITED))
    written = {
        table: applied.written.get(table, {"inserted": 0, "updated": 0, "deleted": 0})
        for table in hearth.PEOPLE_TABLES
    }
    rows = {table: sum(delta.values()) for table, delta in written.items()}
    exact = rows == changes["expected_rows"]
    figures = {
        "users": world.domain.users,
        "changes": changes,
        "full_sync_reference_seconds": round(reference.command_seconds, 2),
        "full_sync_reference_api_calls": reference.api_calls,
        "full_sync_reference_cpu_seconds": round(reference.cpu_seconds, 2),
        "full_path_seconds": round(applied.command_seconds, 2),
        "full_path_cpu_seconds": round(applied.cpu_seconds, 2),
        "full_path_summary": applied.json(),
        "full_path_rows_by_table": written,
        "full_path_rows": rows,
        "full_path_rows_other_tables": applied.summary()["rows_written"],
        **method.check("full_path_rows_exact", exact),
        **method.comparison(
            "full_path_to_full_sync",
            [applied.command_seconds / reference.command_seconds],
            None,
        ),
    }
    realtime = through_realtime(ctx, changes)
    if realtime is not None:
        expected = realtime["changes"]["expected_rows"]
        rows_rt = {table: sum(delta.values()) for table, delta in realtime["written"].items()}
        figures.update(
            {
                "realtime": realtime,
                "realtime_rows": rows_rt,
                # the real-time runs' working time against a full sync's: the sync work
                # each path did for the same changes (wall times beside, in the table)
                **method.comparison(
                    "realtime_to_full_sync",
                    [realtime["runs_seconds"] / reference.command_seconds],
                    TARGET_REALTIME,
                ),
                # the same with every refresh the workers ran, also those whose run changed
                # nothing and was deleted (the activity feed naming people push had already
                # brought) and those that found the lock taken
                **(
                    method.comparison(
                        "realtime_refresh_tasks_to_full_sync",
                        [
                            realtime["worker_tasks"][REFRESH_TASK]["seconds"]
                            / reference.command_seconds
                        ],
                        TARGET_REALTIME,
                    )
                    if REFRESH_TASK in realtime["worker_tasks"]
                    else method.not_measured(
                        "realtime_refresh_tasks_to_full_sync",
                        TARGET_REALTIME,
                        "no refresh task found in the workers' logs",
                    )
                ),
                **method.check(
                    "realtime_rows_exact", rows_rt == expected and not realtime["not_applied"]
                ),
                # Hearth's CPU for the same changes, beside (no target): the runs' working
                # time counts waiting for a core too, and while the changes are being made the
                # machine's two cores also run the sandbox and PostgreSQL
                **method.comparison(
                    "realtime_cpu_to_full_sync_cpu",
                    [realtime["hearth_cpu_seconds"] / max(reference.cpu_seconds, 0.01)],
                    None,
                ),
            }
        )
    else:
        figures.update(
            method.not_measured(
                "realtime_to_full_sync",
                TARGET_REALTIME,
                "the real-time path (issue 14) is not in this build",
            )
        )
        figures.update(method.check("realtime_rows_exact", None))
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    c = f["changes"]
    expected, got = c["expected_rows"], f["full_path_rows"]
    rows = [
        (
            "changes made in the sandbox",
            f"{c['edited']:,} renamed, {c['suspended']:,} suspended, {c['deleted']:,} deleted; "
            f"{c['groups_changed']:,} groups (+{c['members_added']} / -{c['members_removed']})",
            "",
        ),
        (
            "rows written by the full sync: people",
            f"{got['usermanagement_user']:,} (expected {expected['usermanagement_user']:,})",
            "",
        ),
        (
            "… groups",
            f"{got['usermanagement_group']:,} (expected {expected['usermanagement_group']:,})",
            "",
        ),
        (
            "… memberships",
            f"{got['usermanagement_groupmembership']:,} "
            f"(expected {expected['usermanagement_groupmembership']:,})",
            method.target_text(f, "full_path_rows_exact", label="exactly the changes"),
        ),
        (
            "full sync with the changes / without",
            f"{f['full_path_seconds']:.1f} s / {f['full_sync_reference_seconds']:.1f} s",
            f"ratio {method.describe(f, 'full_path_to_full_sync')}",
        ),
    ]
    realtime = f.get("realtime")
    if realtime is None:
        rows.append(
            (
                "real-time path / full sync",
                "—",
                method.target_text(f, "realtime_to_full_sync") + " (not in this build)",
            )
        )
        return rows
    got_rt, expected_rt = f["realtime_rows"], realtime["changes"]["expected_rows"]
    rows += [
        (
            "rows written by real-time: people / groups / memberships",
            " / ".join(f"{got_rt[t]:,}" for t in hearth.PEOPLE_TABLES),
            "expected "
            + " / ".join(f"{expected_rt[t]:,}" for t in hearth.PEOPLE_TABLES)
            + f"; {method.target_text(f, 'realtime_rows_exact', label='exactly the changes')}",
        ),
        (
            "real-time: first change → all applied",
            f"{realtime['seconds']:.1f} s ({realtime['not_applied']} not applied)",
            f"changes made over {realtime['changes_made_seconds']:.1f} s",
        ),
        (
            "real-time runs: working time / a full sync",
            f"{realtime['runs_seconds']:.1f} s in {realtime['runs']} runs",
            f"ratio {method.describe(f, 'realtime_to_full_sync')}; "
            + method.target_text(f, "realtime_to_full_sync"),
        ),
    ]
    if "full_sync_reference_api_calls" in f:
        rows.append(
            (
                "Google calls: real-time runs / a full sync",
                f"{realtime['runs_api_calls']:,} / {f['full_sync_reference_api_calls']:,}",
                "",
            )
        )
    tasks = realtime.get("worker_tasks", {})
    if REFRESH_TASK in tasks:
        rows.append(
            (
                "… every refresh task (also runs that changed nothing) / a full sync",
                f"{tasks[REFRESH_TASK]['seconds']:.1f} s in {tasks[REFRESH_TASK]['count']} tasks",
                f"ratio {method.describe(f, 'realtime_refresh_tasks_to_full_sync')}; "
                + method.target_text(f, "realtime_refresh_tasks_to_full_sync"),
            )
        )
    for name, task in sorted(tasks.items()):
        if name != REFRESH_TASK:
            rows.append((f"… worker task {name}", f"{task['seconds']:.1f} s", f"{task['count']}"))
    if "hearth_cpu_seconds" in realtime:
        by_process = realtime.get("hearth_cpu_seconds_by_process", {})
        rows.append(
            (
                "Hearth's CPU: web, workers, beat / the full sync",
                f"{realtime['hearth_cpu_seconds']:.1f} s / "
                f"{f['full_sync_reference_cpu_seconds']:.1f} s",
                f"ratio {method.describe(f, 'realtime_cpu_to_full_sync_cpu')}"
                + "".join(f"; {role} {seconds:.1f} s" for role, seconds in by_process.items()),
            )
        )
    return rows
