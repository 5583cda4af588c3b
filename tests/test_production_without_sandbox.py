"""The Google emulator never ships to production: not installed, not routed, not migrated.

Each check runs in a fresh process under the settings it judges (the suite itself runs with the
test settings, where the sandbox is installed). The same script under the test settings shows
that the checks can fail.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a production process is asked: is the app installed, what do Google's paths answer (even
# for a request marked as the sandbox server's), and which apps do the migrations create tables for.
PROBE = """
import json
import django
from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django.test import Client

django.setup()
client = Client(SERVER_NAME="hearth.example.com")
paths = ["/token", "/admin/directory/v1/users", "/admin/directory/v1/users?customer=my_customer"]
answers = {path: client.get(path, secure=True).status_code for path in paths}
# The flag the sandbox's own WSGI wrapper sets; production has no middleware that reads it.
flagged = client.get("/token", secure=True, **{"hearth.google_sandbox": True}).status_code
loader = MigrationLoader(None, ignore_no_migrations=True)
print(json.dumps({
    "installed": apps.is_installed("googlesandbox"),
    "answers": answers,
    "flagged": flagged,
    "migrated_apps": sorted({app for app, _name in loader.graph.nodes}),
}))
"""


def _probe(settings_module: str) -> dict:
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "SECRET_KEY": "x9!k2#pL7@qR4$vT8^wZ1&yB5*nM3(cF6)hJ0_dS-aG+eU=iO{oP}lK[jH]gY|fX",
        # Port 1 refuses at once: nothing the probe asks needs the database, broker or cache.
        "DATABASE_URL": "postgres://hearth@127.0.0.1:1/hearth",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "CACHE_URL": "redis://127.0.0.1:1/1",
        "ALLOWED_HOSTS": "hearth.example.com",
        "SITE_URL": "https://hearth.example.com",
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_does_not_install_route_or_migrate_the_google_sandbox():
    production = _probe("config.settings.production")

    assert production["installed"] is False
    assert set(production["answers"].values()) == {404}, production["answers"]
    assert production["flagged"] == 404
    assert "googlesandbox" not in production["migrated_apps"]
    assert {"integrations", "usermanagement", "licenses"} <= set(production["migrated_apps"])


def test_the_test_settings_do_install_the_sandbox():
    # The contrast that shows the probe can tell: the same questions under the test settings.
    test = _probe("config.settings.test")

    assert test["installed"] is True
    assert "googlesandbox" in test["migrated_apps"]
    assert test["flagged"] != 404  # routed to the sandbox's /token (which refuses a bare GET)
