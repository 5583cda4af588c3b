"""Production settings pass Django's deployment checks when given production values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy():
    # The suite allows async-unsafe ORM calls for Playwright; a deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x9!k2#pL7@qR4$vT8^wZ1&yB5*nM3(cF6)hJ0_dS-aG+eU=iO{oP}lK[jH]gY|fX",
        "DATABASE_URL": "postgres://hearth@db.internal:5432/hearth",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "ALLOWED_HOSTS": "hearth.example.com",
        "SITE_URL": "https://hearth.example.com",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
