"""Run a script as `make run` would: local settings on a fresh SQLite file, the filesystem
broker, in a process of its own. Returns the script's output lines."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def local_sqlite_run(script: str, tmp_path: Path) -> list[str]:
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
        [sys.executable, str(ROOT / script)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.splitlines()
