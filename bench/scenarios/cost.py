"""Scenario 13 — Google calls per simulated day: today's 15-minute full sync against the new
schedule (real-time push + activity feed + nightly reconcile), every change verified applied.

Two experiments, each in a world of its own (issue 14, "Must show"):
- *large*: one organization (100,000 people / 5,000 groups at full scale);
- *small*: many organizations (200 of 500 people at full scale).

Flow of an experiment:
1. Seed the sandbox domains; connect each organization through `integration_finalize` and run
   its first full sync, real-time off — inside a simulated clock (bench/simday.py) half an hour
   before the day starts. Snapshot the world (both databases).
2. The day's changes, drawn once with a fixed seed and replayed identically on both schedules,
   at random moments (10-second resolution) between the first minute of the day and an hour
   before its end: `change_pct`% of each organization's people renamed (given name), a
   member added to `group_pct`% of the groups (of all organizations together, at least one), and
   `signin_pct`% of the people signing in (googlesandbox.operations.user_record_login: their
   lastLoginTime and etag move; with the sandbox's default, pessimistic `login_push_update`,
   each sign-in also sends a users.watch `update` notification, as the sandbox documents).
3. For each schedule, from the snapshot: one simulated day (24 hours: every beat tick of
   config/periodic_tasks.py, every task run, every notification delivered, bench/simday.py),
   then verification in Hearth's database: every renamed person carries the new name and every
   added membership exists; for the new schedule also how many of them a real-time run (mode
   *incremental*) applied rather than the reconcile.
   - *today*: `Integration.sync_interval_minutes = 15`, REALTIME_ENABLED off, and the beat of
     before issue 14: its two real-time entries are not sent (with the setting off they ought
     to do nothing, but the feed poll does not read the setting — see docs/benchmarks.md).
     The first scheduled full sync falls in the day's first minute; 96 in the day.
   - *new*: the product's defaults (REALTIME_ENABLED on, the integration's interval, nightly
     reconcile on). Real-time starts a minute after the first sync, as on connecting: channels
     open, the feed is polled, push turns healthy — the half hour before the day (a warm-up
     whose calls are not counted). The scheduled full sync then becomes the daily reconcile,
     due 24 hours after the first sync, inside the day.
4. Calls: every Directory and Reports API call the sandbox server answered during the day, from
   its request log (the server's own record: feed polls, refreshes, channel renewals, reconciles
   and full syncs alike), by method and status. Hearth's own count (SyncRun.api_calls) beside
   it. The figure: today's calls ÷ the new schedule's calls.

Honest shortcuts, and what they cost:
- The day is simulated, not computed: each of today's 96 full syncs of the day really reads the
  whole directory from the sandbox server. At 100,000 people that is ~5,250 calls and 80-126 s
  each on 2 cores — 2-3.5 hours for the day. So that `make bench` stays within its budget,
  scheduled runs of today's schedule are executed as *fetch-only* passes
  (integrations.sync.engine.sync_fetch: the very calls of a full sync, same client, no apply)
  except every `baseline_real_every`-th run per organization and the day's last one, which are
  real full syncs: the changes are applied, and verified at the end, by real syncs; a change
  waits up to `baseline_real_every` x 15 minutes instead of 15 (calls do not depend on it). The
  figures hold each pass's calls by kind — fetch-only and real passes of one organization must
  make the same number (`fetch_only_calls_match_real`), otherwise the shortcut would be
  dishonest and the verdict says so. At quick scale every run is a real full sync.
- Google's per-minute quota is lifted (in the sandbox and in Hearth's client) for the day: it
  binds over real minutes, and the day's minutes are simulated. Calls are counted, not paced.
- Changes are made at 10-second resolution and the last hour of the day has none, so that both
  schedules can apply every change within the day (today's at its next full sync, the new one
  through push or the feed, whose Reports lag is the sandbox's default).

Targets: today's calls ÷ the new schedule's ≥ 20 for the large organization, ≥ 3 for the small
ones; every change applied on both schedules.
"""

import importlib.util
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import hearth, method
from ..directory import SandboxDomain, domain_seed
from ..env import CouldNotMeasure, call_kind, free_port
from ..simday import SimDay, real_now

KEY = "cost"
TITLE = "13. Google calls per simulated day: 15-minute full sync vs real-time"
DAY = timedelta(days=1)
QUIET_END = timedelta(hours=1)  # no change in the day's last hour
SLOT_SECONDS = 10
TARGETS = {"large": method.Target(20, at_most=False), "small": method.Target(3, at_most=False)}
TODAY_INTERVAL_MINUTES = 15
SCHEDULE_TASK = "integrations.tasks.sync_run_execute"
UNLIMITED_QUOTA = {"GOOGLE_QUOTA_PER_MINUTE": 100_000_000}
SETUP_BEFORE = timedelta(minutes=30)  # the first sync, before the day starts
# the beat entries issue 14 added; today's schedule had none of them
REALTIME_BEAT = ("integrations.realtime.feed_poll_due", "integrations.realtime.channels_maintain")


def day_start() -> datetime:
    """Noon (UTC) two days from now: ahead of every record the setup wrote in real time."""
    today = real_now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=2, hours=12)


def realtime_available() -> bool:
    return importlib.util.find_spec("integrations.realtime") is not None


# --- the day's changes --------------------------------------------------------------------------


@dataclass
class Change:
    at: datetime
    kind: str  # rename | member | signin
    domain: str
    email: str
    google_id: str
    value: str = ""  # the new given name; the group's email for a member
    group_google_id: str = ""

    def make(self) -> None:
        from googlesandbox import operations

        if self.kind == "rename":
            operations.user_update(email=self.email, given_name=self.value)
        elif self.kind == "member":
            operations.member_add(group_email=self.value, member_email=self.email)
        else:
            operations.user_record_login(email=self.email)


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

    def events(self):
        return [(c.at, c.make) for c in sorted(self.changes, key=lambda c: c.at)]

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def plan_make(domains: list[str], params: dict, *, start: datetime, seed: int = 14) -> Plan:
    """Draw the day's changes from the sandbox's directory (the same plan for both schedules)."""
    from googlesandbox.models import DirGroup, DirMember, DirUser

    rng = random.Random(seed)
    window = int((DAY - QUIET_END).total_seconds()) - 60

    def moment() -> datetime:
        return start + timedelta(seconds=60 + rng.randrange(window // SLOT_SECONDS) * SLOT_SECONDS)

    plan = Plan()
    groups_all = []
    people_by_domain = {}
    for name in domains:
        people = list(
            DirUser.objects.filter(
                domain__name=name, deleted_at__isnull=True, suspended=False, is_admin=False
            )
            .order_by("id")
            .values_list("id", "primary_email", "google_id", "given_name")
        )
        people_by_domain[name] = people
        renamed = rng.sample(people, max(1, round(len(people) * params["change_pct"] / 100)))
        for index, (_, email, google_id, given) in enumerate(renamed):
            plan.changes.append(
                Change(moment(), "rename", name, email, google_id, f"{given}-day{index}")
            )
        signing = rng.sample(people, round(len(people) * params["signin_pct"] / 100))
        plan.changes += [Change(moment(), "signin", name, e, g) for _, e, g, _ in signing]
        groups_all += [
            (name, *g)
            for g in DirGroup.objects.filter(domain__name=name)
            .order_by("id")
            .values_list("id", "email", "google_id")
        ]
    total_groups = max(1, round(len(groups_all) * params["group_pct"] / 100))
    for name, group_pk, group_email, group_google_id in rng.sample(groups_all, total_groups):
        members = set(DirMember.objects.filter(group_id=group_pk).values_list("user_id", flat=True))
        outside = [p for p in people_by_domain[name] if p[0] not in members]
        if not outside:
            continue
        _, email, google_id, _ = rng.choice(outside)
        plan.changes.append(
            Change(moment(), "member", name, email, google_id, group_email, group_google_id)
        )
    return plan


def verify(plan: Plan, organizations: dict) -> dict:
    """Which of the plan's renames and memberships Hearth holds; how many a real-time run
    (mode incremental) applied."""
    from integrations.models import SyncChange, SyncRun
    from usermanagement.models import GroupMembership, User

    renames = [c for c in plan.changes if c.kind == "rename"]
    members = [c for c in plan.changes if c.kind == "member"]
    names = dict(
        User.objects.filter(google_id__in=[c.google_id for c in renames]).values_list(
            "google_id", "first_name"
        )
    )
    renamed_ok = [c for c in renames if names.get(c.google_id) == c.value]
    held = set(
        GroupMembership.objects.filter(
            group__google_id__in=[c.group_google_id for c in members],
            member_google_id__in=[c.google_id for c in members],
        ).values_list("group__google_id", "member_google_id")
    )
    members_ok = [c for c in members if (c.group_google_id, c.google_id) in held]
    by_realtime = {"renames": None, "members": None}
    incremental = getattr(SyncRun.Mode, "INCREMENTAL", None)
    if incremental is not None:
        changes = SyncChange.objects.filter(run__mode=incremental)
        users = set(
            changes.filter(object_type="user", kind=SyncChange.Kind.UPDATE).values_list(
                "google_id", flat=True
            )
        )
        by_realtime["renames"] = sum(1 for c in renamed_ok if c.google_id in users)
        added = set(
            changes.filter(kind=SyncChange.Kind.MEMBER_ADD, object_type="membership").values_list(
                "object_repr", flat=True
            )
        )
        by_realtime["members"] = sum(1 for c in members_ok if f"{c.email} in {c.value}" in added)
    return {
        "renames": len(renames),
        "renames_applied": len(renamed_ok),
        "members_added": len(members),
        "members_applied": len(members_ok),
        "applied_by_realtime": by_realtime,
        "all_applied": len(renamed_ok) == len(renames) and len(members_ok) == len(members),
    }


# --- one schedule over one day ------------------------------------------------------------------


class FetchOnlyRunner:
    """Today's scheduled full syncs as fetch-only passes, except every `real_every`-th per
    organization and those of the day's last interval (real full syncs). Records each pass's
    calls (Hearth's client count) by kind of pass."""

    def __init__(self, *, real_every: int, last_from: datetime):
        self.real_every = real_every
        self.last_from = last_from
        self.seen: Counter = Counter()
        self.calls: dict[int, dict[str, set]] = {}

    def __call__(self, name: str, args: tuple, kwargs: dict) -> bool:
        from django.utils import timezone

        from integrations.models import SyncRun
        from integrations.sync.engine import sync_fetch

        if name != SCHEDULE_TASK:
            return False
        run = SyncRun.objects.select_related("organization").filter(pk=args[0]).first()
        if run is None or run.trigger != SyncRun.Trigger.SCHEDULE or run.mode != SyncRun.Mode.FULL:
            return False
        self.seen[run.organization_id] += 1
        calls = self.calls.setdefault(run.organization_id, {"real": set(), "fetch_only": set()})
        real = (
            self.real_every <= 1
            or self.seen[run.organization_id] % self.real_every == 0
            or timezone.now() >= self.last_from
        )
        if real:
            from config.celery_app import app

            app.tasks[name](*args, **kwargs)
            run.refresh_from_db()
            calls["real"].add(run.api_calls)
            return True
        started = timezone.now()
        fetched = sync_fetch(organization=run.organization)
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.SUCCEEDED,
            attempt=1,
            started_at=started,
            finished_at=timezone.now(),
            api_calls=fetched["api_calls"],
            note="Benchmark: a fetch-only pass — this full sync's calls, nothing applied.",
        )
        calls["fetch_only"].add(fetched["api_calls"])
        return True

    def summary(self) -> dict:
        real = sorted({c for v in self.calls.values() for c in v["real"]})
        fetch = sorted({c for v in self.calls.values() for c in v["fetch_only"]})
        match = all(
            not v["real"] or not v["fetch_only"] or v["real"] == v["fetch_only"]
            for v in self.calls.values()
        )
        return {
            "runs_per_organization": dict(Counter(self.seen.values())),
            "real_pass_calls": real[:10],
            "fetch_only_pass_calls": fetch[:10],
            "fetch_only_calls_match_real": match,
        }


def _runs_summary(organization_ids: list[int], since: datetime) -> dict:
    from django.db.models import Count, Sum

    from integrations.models import SyncRun

    rows = (
        SyncRun.objects.filter(organization_id__in=organization_ids, created_at__gte=since)
        .values("trigger", "mode", "status")
        .annotate(n=Count("id"), calls=Sum("api_calls"))
        .order_by("trigger", "mode", "status")
    )
    return {
        "runs": [
            {k: r[k] for k in ("trigger", "mode", "status", "n")} | {"api_calls": r["calls"] or 0}
            for r in rows
        ],
        "hearth_counted_calls": sum(r["calls"] or 0 for r in rows),
    }


def schedule_day(
    ctx, *, schedule: str, organizations: dict, plan: Plan, params: dict, port: int
) -> dict:
    """One simulated day of `schedule` ("today" or "new") from the snapshot."""
    from integrations.models import Integration

    env = ctx.env
    env.snapshot_restore()
    env.stop(env.sandbox)
    env.sandbox_start(fresh_clock=True)
    start = day_start()
    end = start + DAY
    settings = dict(UNLIMITED_QUOTA)
    runner = None
    warm_from = start
    skip: tuple[str, ...] = ()
    if schedule == "today":
        settings["REALTIME_ENABLED"] = False
        skip = REALTIME_BEAT
        for organization in organizations.values():
            hearth.settings_update(organization, sync_interval_minutes=TODAY_INTERVAL_MINUTES)
        runner = FetchOnlyRunner(
            real_every=params["baseline_real_every"],
            last_from=end - timedelta(minutes=TODAY_INTERVAL_MINUTES),
        )
    else:
        # real-time starts a minute after the first sync (as on connecting): channels, feed
        warm_from = start - SETUP_BEFORE + timedelta(minutes=1)
    intervals = sorted(
        set(
            Integration.objects.filter(organization__in=organizations.values()).values_list(
                "sync_interval_minutes", flat=True
            )
        )
    )
    started = time.perf_counter()
    with SimDay(
        start=warm_from, settings=settings, runner=runner, port=port, beat_skip=skip
    ) as sim:
        if warm_from < start:
            sim.run(start, [])
            warm_up = sim.summary()
            sim.counters_reset()
        env.sandbox_log.mark()
        sim.run(end, plan.events())
        env.sandbox_check()
        requests_ = env.sandbox_log.requests_since_mark()
        by_kind = Counter(call_kind(path) for path, _ in requests_)
        by_status = Counter(status for _, status in requests_)
        runs = _runs_summary([o.pk for o in organizations.values()], start)
        applied = verify(plan, organizations)
        figures = {
            "calls": len(requests_),
            "calls_by_kind": dict(by_kind.most_common()),
            "calls_by_status": dict(by_status),
            **runs,
            "verified": applied,
            "interval_minutes": intervals,
            "sim": sim.summary(),
            "beat_skipped": list(skip),
            "seconds": round(time.perf_counter() - started, 1),
        }
        if warm_from < start:
            figures["warm_up"] = {"from": warm_from.isoformat(), "sim": warm_up}
    if runner is not None:
        figures["fetch_only"] = runner.summary()
    return figures


# --- an experiment ------------------------------------------------------------------------------


def _setup(
    ctx, name: str, shapes: list[tuple[str, str, dict]], *, port: int
) -> tuple[dict, list[SandboxDomain]]:
    """Seed, connect and first-sync every organization (half an hour before the day, real-time
    off: each schedule starts its own), snapshot."""
    env = ctx.env
    ctx.world(f"{KEY}-{name}")
    domains = [
        domain_seed(
            domain,
            users=shape["users"],
            groups=shape["groups"],
            members_per_group=min(shape["members_per_group"], shape["users"]),
            env=env,
        )
        for domain, _, shape in shapes
    ]
    env.stop(env.sandbox)
    env.sandbox_start(fresh_clock=True)
    organizations = {}
    with SimDay(
        start=day_start() - SETUP_BEFORE,
        settings={**UNLIMITED_QUOTA, "REALTIME_ENABLED": False},
        port=port,
    ) as sim:
        for domain, slug, _ in shapes:
            organizations[slug] = hearth.organization_connect(
                env, domain, slug=slug, keep_first_run=True
            )
        sim.work()
        if sim.task_errors:
            raise CouldNotMeasure(f"first syncs failed: {sim.error_samples[:1]}")
    _first_syncs_check(organizations)
    env.snapshot_take()
    return organizations, domains


def _first_syncs_check(organizations: dict) -> None:
    from integrations.models import SyncRun

    for slug, organization in organizations.items():
        if not SyncRun.objects.filter(
            organization=organization, status=SyncRun.Status.SUCCEEDED
        ).exists():
            raise CouldNotMeasure(f"the first sync of {slug} did not succeed")


def experiment(ctx, name: str, shapes, params: dict) -> dict:
    port = free_port()
    organizations, domains = _setup(ctx, name, shapes, port=port)
    plan = plan_make([d.name for d in domains], params, start=day_start())
    figures = {
        "organizations": len(organizations),
        "users": [d.users for d in domains][:3],
        "users_total": sum(d.users for d in domains),
        "groups_total": sum(d.groups for d in domains),
        "changes": {k: plan.count(k) for k in ("rename", "member", "signin")},
        "today": schedule_day(
            ctx, schedule="today", organizations=organizations, plan=plan, params=params, port=port
        ),
    }
    target = TARGETS[name]
    if not realtime_available():
        figures["new"] = None
        figures.update(
            method.not_measured(
                f"{name}_today_to_new", target, "the real-time path (issue 14) is not in this build"
            )
        )
    else:
        figures["new"] = schedule_day(
            ctx, schedule="new", organizations=organizations, plan=plan, params=params, port=port
        )
        figures.update(
            method.comparison(
                f"{name}_today_to_new",
                [figures["today"]["calls"] / max(1, figures["new"]["calls"])],
                target,
                digits=2,
            )
        )
    for schedule in ("today", "new"):
        day = figures.get(schedule)
        figures.update(
            method.check(
                f"{name}_{schedule}_all_applied",
                None if day is None else day["verified"]["all_applied"],
            )
        )
    today = figures["today"]
    if "fetch_only" in today:
        figures.update(
            method.check(
                f"{name}_fetch_only_calls_match_real",
                today["fetch_only"]["fetch_only_calls_match_real"],
                exercised=bool(today["fetch_only"]["fetch_only_pass_calls"]),
            )
        )
    return figures


def run(ctx) -> dict:
    params = ctx.scale[KEY]
    large = params["large"]
    small = params["small"]
    results = {"parameters": dict(params)}
    results["large"] = experiment(
        ctx, "large", [("large.cost.bench.example", "cost-large", large)], params
    )
    results["small"] = experiment(
        ctx,
        "small",
        [
            (f"org{index:03d}.cost.bench.example", f"cost-{index:03d}", small)
            for index in range(small["organizations"])
        ],
        params,
    )
    # the verdicts at the top level, where the report looks for them
    for name in ("large", "small"):
        for key, value in list(results[name].items()):
            if key.startswith(method.KEY_PREFIXES):
                results[key] = value
    return results


def table(f: dict) -> list[tuple[str, str, str]]:
    rows = []
    for name, label in (("large", "one large organization"), ("small", "many small ones")):
        e = f[name]
        today, new = e["today"], e.get("new")
        c = e["changes"]
        rows.append(
            (
                label,
                f"{e['organizations']} x {e['users'][0]:,} people",
                f"{c['rename']} renamed, {c['member']} members added, {c['signin']} sign-ins",
            )
        )
        rows.append(
            (
                "  today: 15-minute full sync, calls/day",
                f"{today['calls']:,}",
                f"applied {today['verified']['renames_applied']}/{today['verified']['renames']}"
                f" + {today['verified']['members_applied']}/{today['verified']['members_added']}"
                f"; {method.target_text(f, f'{name}_today_all_applied', label='all')}",
            )
        )
        if new is None:
            rows.append(("  new schedule, calls/day", "—", "not in this build"))
        else:
            by_rt = new["verified"]["applied_by_realtime"]
            rows.append(
                (
                    "  new: push + feed + nightly, calls/day",
                    f"{new['calls']:,}",
                    f"applied {new['verified']['renames_applied']}/{new['verified']['renames']}"
                    f" + {new['verified']['members_applied']}/{new['verified']['members_added']}"
                    f" ({by_rt['renames']} + {by_rt['members']} by real-time runs); "
                    f"{method.target_text(f, f'{name}_new_all_applied', label='all')}",
                )
            )
        rows.append(
            (
                "  today ÷ new",
                method.describe(f, f"{name}_today_to_new", unit=" x"),
                method.target_text(f, f"{name}_today_to_new"),
            )
        )
    return rows
