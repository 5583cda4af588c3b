"""The reliability suites share the sync tests' fixtures (Acme connected over the sandbox), and
each test leaves its figures — runs, calls, faults met, records skipped, plans held — in
test-artifacts/reliability-figures.jsonl, summed by `python -m tests.reliability.figures` for
docs/reliability.md."""

import json
from collections import Counter

import pytest

from tests.conftest import ARTIFACTS
from tests.integrations.conftest import integration_settings  # noqa: F401
from tests.integrations.sync.conftest import Acme, acme, connected  # noqa: F401

FIGURES = ARTIFACTS / "reliability-figures.jsonl"


@pytest.fixture(autouse=True)
def reliability_figures(request, transactional_db):
    """(Every reliability test uses the database; asking for it here reads the figures before
    the database is emptied.)"""
    yield
    from integrations.models import SyncChange, SyncRun

    runs = SyncRun.objects.all()
    failures: Counter = Counter()
    for tally in runs.values_list("api_failures", flat=True):
        failures.update(tally)
    report = getattr(request.node, "rep_call", None)
    line = {
        "test": request.node.nodeid,
        "passed": bool(report and report.passed),
        "runs": runs.count(),
        "api_calls": sum(runs.values_list("api_calls", flat=True)),
        "faults_met": dict(failures),
        "held": runs.filter(status=SyncRun.Status.HELD).count(),
        "failed": runs.filter(status=SyncRun.Status.FAILED).count(),
        "skipped_records": SyncChange.objects.filter(kind="skipped").count(),
        "removals_applied": SyncChange.objects.filter(
            kind__in=["archive", "deactivate", "group_delete", "member_remove"], applied=True
        ).count(),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    with FIGURES.open("a") as figures:
        figures.write(json.dumps(line) + "\n")
