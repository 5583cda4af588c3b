"""Smoke test of the benchmark harness at a tiny scale: its pieces run and report honestly.

The harness is run as `python -m bench` in a subprocess, as `make bench` runs it, against its
own database (hearth_bench_smoke) and Redis DB 10, so it never touches the test database.
"""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from bench.measure import percentile
from bench.scenarios.many_orgs import overlaps

ROOT = Path(__file__).resolve().parent.parent.parent


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0


def test_overlapping_runs_of_one_organization_are_counted():
    t = datetime(2026, 1, 1, tzinfo=UTC)

    def run(org, start, end, status="succeeded"):
        return SimpleNamespace(
            organization_id=org,
            status=status,
            started_at=t + timedelta(seconds=start),
            finished_at=t + timedelta(seconds=end),
        )

    runs = [
        run(1, 0, 10),
        run(1, 10, 20),  # back to back: no overlap
        run(2, 0, 10),
        run(2, 5, 15),  # overlap
        run(3, 0, 10),
        run(3, 1, 2, status="skipped"),  # skipped runs never worked
    ]
    assert overlaps(runs) == 1


def test_quick_harness_measures_the_people_list_and_the_sandbox(tmp_path):
    results = tmp_path / "results.json"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hearth_bench_smoke",
        "BENCH_BROKER_URL": "redis://127.0.0.1:6379/10",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "tiny",
            "--only",
            "people_list,sandbox_page",
            "--results",
            str(results),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5. People list" in done.stdout and "6. Sandbox" in done.stdout
    report = json.loads(results.read_text())
    assert report["machine"]["cores"] >= 1
    assert report["versions"]["postgres"]
    page = report["scenarios"]["sandbox_page"]["figures"]
    assert page["users_listed"] == page["users"] == 600
    assert page["pages"] == 2
    people = report["scenarios"]["people_list"]["figures"]
    assert people["variants"]["main"]["queries"] > 0
    assert people["variants"]["search"]["applied"] is True
    assert all(k.startswith("ratio_") for k in people if "ratio" in k)
