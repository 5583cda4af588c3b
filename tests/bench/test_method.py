"""The benchmark's verdicts: the median's interval, adaptive pairs, floors, overlaps, writes."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bench import method, quota, writes
from bench.measure import percentile
from bench.scenarios.many_orgs import gaps, lock_holds, overlapping_pairs, runs_outside_hold
from bench.state import state_compare

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0


def test_median_interval_is_min_max_up_to_five_and_drops_the_extremes_from_six():
    assert method.median_interval([1.3, 1.0, 1.1])[:2] == (1.0, 1.3)
    assert method.median_interval([1.0, 1.1, 1.2, 1.3, 1.4])[:2] == (1.0, 1.4)
    low, high, coverage = method.median_interval([1.0, 1.1, 1.2, 1.3, 1.4, 2.0])
    assert (low, high) == (1.1, 1.4)
    assert coverage >= method.CONFIDENCE
    assert method.median_interval([0.5, 1.1, 1.1, 1.2, 1.2, 1.2, 3.0])[:2] == (1.1, 1.2)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.1, 1.2, 1.24], method.MET),
        ([1.3, 1.4, 1.26], method.NOT_MET),
        ([1.1, 1.2, 1.3], method.UNRESOLVED),
        ([], method.NOT_MEASURED),
    ],
)
def test_verdict_reads_the_whole_interval(values, expected):
    assert method.verdict(values, method.Target(1.25)) == expected


def test_an_at_least_target_reads_the_other_way():
    assert method.verdict([20.5, 25.0], method.Target(20, at_most=False)) == method.MET
    assert method.Target(20, at_most=False).text == "≥ 20"


def test_sample_adds_pairs_while_unresolved_and_stops_at_the_most():
    draws = iter([1.1, 1.3, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2])
    values = method.sample(lambda: next(draws), target=method.Target(1.25), least=3, most=7)
    # 3 pairs straddle 1.25; from 6 on the outliers drop out of the interval: met
    assert len(values) == 6
    assert method.verdict(values, method.Target(1.25)) == method.MET

    always_straddling = iter([1.0, 1.5] * 10)
    values = method.sample(
        lambda: next(always_straddling), target=method.Target(1.25), least=3, most=7
    )
    assert len(values) == 7
    assert method.verdict(values, method.Target(1.25)) == method.UNRESOLVED


def test_sample_never_draws_more_than_least_without_a_target():
    calls = []
    values = method.sample(lambda: calls.append(1) or 2.0, target=None, least=2, most=7)
    assert values == [2.0, 2.0]
    assert method.verdict(values, None) == method.NO_TARGET


def test_comparison_puts_verdict_target_and_spread_beside_the_ratio():
    figures = method.comparison("x_to_y", [1.0, 1.2, 1.1], method.Target(1.25))
    assert figures["ratio_x_to_y"] == 1.1
    assert figures["verdict_x_to_y"] == method.MET
    assert figures["target_x_to_y"] == "≤ 1.25"
    assert figures["spread_x_to_y"]["min"] == 1.0
    assert figures["spread_x_to_y"]["max"] == 1.2
    assert method.describe(figures, "x_to_y") == "1.10 (1.00-1.20, n=3)"


def test_quota_floors():
    # 7,338 calls at 2,400/min, 150 ms, 10 at once: 3 whole windows, then one latency
    assert quota.window_floor(7_338, qpm=2_400, latency=0.15) == pytest.approx(180.15)
    assert quota.concurrency_floor(7_338, latency=0.15, limit=10) == pytest.approx(110.07)
    assert quota.floor(7_338, qpm=2_400, latency=0.15, limit=10) == pytest.approx(180.15)
    # each window's 2,400 calls need 36 s through 10 slots; the last 138 start at 180 s
    schedule = quota.schedule_floor(7_338, qpm=2_400, latency=0.15, limit=10)
    assert schedule == pytest.approx(180 + 138 * 0.15 / 10, abs=0.2)
    # at 95% of the quota (Hearth's own margin) a fourth window is needed for 498 calls
    assert quota.schedule_floor(7_338, qpm=2_280, latency=0.15, limit=10) == pytest.approx(
        180 + 498 * 0.15 / 10, abs=0.2
    )
    assert quota.bound(7_338, qpm=2_400)
    assert not quota.bound(1_072, qpm=2_400)


def test_overlaps_are_counted_over_all_pairs_not_only_neighbours():
    spans = [(1, at(0), at(100)), (1, at(10), at(20)), (1, at(30), at(40)), (2, at(0), at(5))]
    # sorted by start, neighbours (0-100, 10-20) and (10-20, 30-40): only one overlap;
    # all pairs: 0-100 overlaps both others
    assert overlapping_pairs(spans) == 2
    assert overlapping_pairs([(1, at(0), at(10)), (1, at(10), at(20))]) == 0  # back to back
    assert overlapping_pairs([(1, at(0), None), (1, at(50), at(60))]) == 1  # never released


def test_lock_log_rows_become_holds_and_runs_must_work_inside_their_own():
    rows = [
        (1, "run-7@h:1:a", "acquire", at(0)),
        (1, "run-7@h:1:a", "release", at(10)),
        (1, "run-8@h:2:b", "acquire", at(11)),
        (1, "run-8@h:2:b", "taken over", at(20)),
        (1, "run-9@h:3:c", "acquire", at(20)),
    ]
    holds = lock_holds(rows)
    assert (1, "run-7@h:1:a", at(0), at(10)) in holds
    assert (1, "run-9@h:3:c", at(20), None) in holds

    def run(pk, start, end, status="succeeded"):
        return SimpleNamespace(
            pk=pk, organization_id=1, status=status, started_at=at(start), finished_at=at(end)
        )

    assert runs_outside_hold([run(7, 1, 9), run(9, 21, 30)], holds) == 0
    assert runs_outside_hold([run(8, 12, 25)], holds) == 1  # worked after being taken over
    assert runs_outside_hold([run(8, 12, 25, status="failed")], holds) == 0


def test_gaps_run_from_the_last_sync_before_the_window_to_its_end():
    finishes = [at(-30), at(50), at(170)]
    assert gaps(finishes, window_start=at(0), window_end=at(200)) == [80.0, 120.0, 30.0]
    assert gaps([], window_start=at(0), window_end=at(200)) == [200.0]


def test_writes_are_grouped_and_a_record_is_not_data():
    before = {"usermanagement_user": (10, 0, 0), "integrations_syncrun": (1, 2, 0)}
    after = {
        "usermanagement_user": (10, 3, 0),
        "integrations_syncrun": (2, 7, 0),
        "bench_lock_log": (4, 0, 0),
    }
    changed = writes.difference(before, after)
    assert changed["usermanagement_user"] == {"inserted": 0, "updated": 3, "deleted": 0}
    assert writes.data_rows(changed) == 3
    assert writes.kind_of("integrations_syncrun") == "records"
    assert writes.kind_of("bench_lock_log") == "harness"
    assert writes.kind_of("licenses_personlicense") == "data"


def test_state_compare_names_missing_extra_and_different_rows():
    expected = {"people": {"g1": {"email": "a@x"}, "g2": {"email": "b@x"}}}
    got = {"people": {"g1": {"email": "A@x"}, "g3": {"email": "c@x"}}}
    report = state_compare(expected, got)
    assert report["differences"] == 3
    people = report["tables"]["people"]
    assert (people["missing"], people["extra"], people["different"]) == (1, 1, 1)
    assert people["examples"]["different"] == [{"key": "g1", "fields": ["email"]}]
