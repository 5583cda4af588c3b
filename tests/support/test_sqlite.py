"""`make run` uses SQLite: the console's pages, actions and pruning must work there too."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_works_on_the_local_sqlite_database(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'local.sqlite3'}",
        CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests/support/sqlite_console.py")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    pages = [line.split() for line in lines if line.startswith("/")]
    assert len(pages) == 8
    assert all(status == "200" for _path, status in pages), pages
    assert "deactivated 302 deactivated" in lines
    assert "pruned Pruned(runs=2, changes=2, emails=0)" in lines
