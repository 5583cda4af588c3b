"""Smoke test of the benchmark harness at a tiny scale: its pieces run and report honestly.

The harness runs as `python -m bench` in a subprocess, as `make bench` runs it, against its own
database and Redis DB: BENCH_DATABASE_URL / BENCH_BROKER_URL when set (two checkouts running the
suite at once must each set their own), else hearth_bench_smoke and Redis DB 10. It never
touches the test database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_tiny_harness_resyncs_lists_people_and_reads_sandbox_pages(tmp_path):
    results = tmp_path / "results.json"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hearth_bench_smoke"
        ),
        "BENCH_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "tiny",
            "--only",
            "resync,people_list,sandbox_page",
            "--results",
            str(results),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2. Re-sync" in done.stdout and "Targets" in done.stdout
    report = json.loads(results.read_text())
    assert report["machine"]["cores"] >= 1
    assert report["versions"]["postgres"]

    for entry in report["scenarios"].values():
        figures = entry["figures"]
        for key in figures:
            if key.startswith("ratio_"):
                assert f"verdict_{key[len('ratio_') :]}" in figures, key

    resync = report["scenarios"]["resync"]["figures"]
    assert resync["spread_resync_to_fetch_only"]["n"] >= 2  # pairs, not one sample
    # a re-sync of an unchanged directory writes no data row, and each one was checked
    assert resync["rows_written_each"] == [0] * resync["spread_resync_to_fetch_only"]["n"]
    assert resync["verdict_rows_written"] == "met"
    records = resync["rows_written_by_table"][0]["records_by_table"]
    assert records["integrations_syncrun"]["inserted"] == 1  # the counters were read flushed
    for side in ("resync", "fetch_only"):
        for one in resync[side]["passes"]:
            assert one["cpu_seconds"] > 0 and one["sandbox_cpu_seconds"] > 0
            # every call the client made was answered by the sandbox, and seen by both
            assert one["api_calls"] == one["sandbox_requests"] == one["google_calls"]["200"]
    assert resync["api_calls_resync"] == resync["api_calls_fetch_only"]

    page = report["scenarios"]["sandbox_page"]["figures"]
    assert page["users_listed"] == page["users"] == 600
    assert page["pages"] == 2

    people = report["scenarios"]["people_list"]["figures"]
    assert people["queries_per_page"]["main"] > 0
    assert people["idle"]["search"]["applied"] is True
    assert people["under_load"]["n"] > 0
    assert people["under_load"]["errors"] == 0
    assert people["under_load"]["writer_rows_written"] > 1_000  # a sync really wrote meanwhile
