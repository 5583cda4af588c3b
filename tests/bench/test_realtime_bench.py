"""The real-time scenarios' pieces that need no processes: call kinds from the sandbox's log,
delays and the reconcile's waiters (propagation), the simulated worker's queue (cost)."""

from datetime import UTC, datetime, timedelta

import pytest

from bench import env as bench_env
from bench.env import call_kind
from bench.scenarios.cost import FetchOnlyRunner
from bench.scenarios.propagation import Change, delays, reconcile_waits
from bench.simday import SimDay, beat_entries


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/admin/directory/v1/users?customer=my_customer&maxResults=500", "users.list"),
        ("/admin/directory/v1/users/1234?projection=full", "users.get"),
        ("/admin/directory/v1/users/watch?event=update", "users.watch"),
        ("/admin/directory/v1/groups?customer=my_customer", "groups.list"),
        ("/admin/directory/v1/groups/abc", "groups.get"),
        ("/admin/directory/v1/groups/abc/members?maxResults=200", "members.list"),
        ("/admin/directory/v1/groups/abc/members/def", "members.get"),
        ("/admin/directory/v1/groups/abc/hasMember/def", "members.hasMember"),
        ("/admin/directory/v1/customers/my_customer", "customers.get"),
        ("/admin/directory_v1/channels/stop", "channels.stop"),
        ("/admin/reports_v1/channels/stop", "channels.stop"),
        ("/admin/reports/v1/activity/users/all/applications/admin?startTime=x", "activities.list"),
        ("/admin/reports/v1/activity/users/all/applications/admin/watch", "activities.watch"),
    ],
)
def test_each_sandbox_path_is_named_by_its_api_method(path, kind):
    assert call_kind(path) == kind


def test_ports_come_from_the_range_given(monkeypatch):
    monkeypatch.setenv("BENCH_PORTS", "8390-8399")
    monkeypatch.setattr(bench_env, "_ports_given", set())
    first, second = bench_env.free_port(), bench_env.free_port()
    assert 8390 <= first <= 8399 and 8390 <= second <= 8399
    assert first != second  # a port handed out is not handed out again while others are free


def change(kind="rename", phase="steady", at=None, seen=None) -> Change:
    return Change(kind, phase, "a@x.example", "1", "Ann-1", at=at, seen=seen)


def test_delays_count_the_lost_and_read_percentiles_of_the_applied():
    changes = [change(at=0.0, seen=float(d)) for d in range(1, 21)] + [change(at=0.0)]
    stats = delays(changes)
    assert stats["n"] == 21 and stats["applied"] == 20 and stats["lost"] == 1
    assert stats["p50"] == 10.5 and stats["p95"] == 19.0 and stats["max"] == 20.0
    assert delays([change(at=1.0)]) == {"n": 1, "applied": 0, "lost": 1}


def test_a_change_made_during_the_reconcile_is_judged_from_its_end():
    run = {"finished_at": 100.0}
    on_time = change(phase="reconcile", at=50.0, seen=102.0)  # 2 s after the end
    late = change(phase="reconcile", at=60.0, seen=104.0)  # 4 s after: a person's limit is 3
    group = change(kind="member", phase="reconcile", at=60.0, seen=150.0)  # within 70 s + lag
    lost = change(phase="reconcile", at=70.0)
    steady = change(at=10.0, seen=200.0)  # not a waiter
    waited = reconcile_waits([on_time, late, group, lost, steady], run, group_target=80.0)
    assert waited["n"] == 4
    assert waited["late"] == 2
    assert waited["seconds_after_reconcile_end"] == [2.0, 4.0, 50.0]


def test_the_simulated_worker_runs_tasks_in_eta_order(settings):
    settings.USE_TZ = True
    sim = SimDay(start=datetime(2026, 1, 1, tzinfo=UTC))
    now = sim.now()
    sim.enqueue("later", (), {}, countdown=5)
    sim.enqueue("first", (1,), {})
    sim.enqueue("at", (), {}, eta=now - timedelta(seconds=1))
    assert [sim._due().name for _ in range(2)] == ["at", "first"]
    assert sim._due() is None  # "later" is not due yet
    assert sim.queue[0].name == "later"


def test_every_periodic_task_is_a_beat_entry_of_the_simulated_day():
    from config.periodic_tasks import PERIODIC_TASKS

    entries = beat_entries()
    assert [e.task for e in entries] == [p.task for p in PERIODIC_TASKS]
    assert all(e.every.total_seconds() > 0 for e in entries)


def test_fetch_only_runner_reports_a_mismatch_between_real_and_fetch_only_passes():
    runner = FetchOnlyRunner(real_every=4, last_from=datetime(2026, 1, 2, tzinfo=UTC))
    runner.calls = {1: {"real": {14}, "fetch_only": {14}}, 2: {"real": set(), "fetch_only": {6}}}
    assert runner.summary()["fetch_only_calls_match_real"] is True
    runner.calls[1]["fetch_only"].add(15)
    assert runner.summary()["fetch_only_calls_match_real"] is False
