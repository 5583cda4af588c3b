"""`make run`: embedded defaults (SQLite, a filesystem broker, the Google sandbox on).

Only defaults: anything exported in the environment wins.
"""

import os
from pathlib import Path

_local_dir = Path(__file__).resolve().parent.parent.parent / ".local"
_local_dir.mkdir(exist_ok=True)
_port = os.environ.get("PORT", "8000")
_sandbox_port = os.environ.get("SANDBOX_PORT", "8001")

for _name, _value in {
    "DJANGO_DEBUG": "true",
    "SECRET_KEY": "local-development-only-not-a-secret",
    "DATABASE_URL": f"sqlite:///{_local_dir / 'hearth.sqlite3'}",
    "CELERY_BROKER_URL": "filesystem://",
    "EMAIL_URL": "consolemail://",
    "SITE_URL": f"http://127.0.0.1:{_port}",
    "GOOGLE_SANDBOX_ENABLED": "true",
    "GOOGLE_OIDC_CLIENT_ID": "hearth-local-oidc-client",
    "GOOGLE_OIDC_CLIENT_SECRET": "hearth-local-oidc-secret",
}.items():
    os.environ.setdefault(_name, _value)

from .base import *  # noqa: E402,F403

# Serve static files straight from STATICFILES_DIRS; no collectstatic needed locally.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# The offline Google emulator, served by its own server (`manage.py sandbox serve`, the tests'
# fixture) on its own URLconf; its routing middleware goes first. Never in production.py.
INSTALLED_APPS = [*INSTALLED_APPS, "googlesandbox"]  # noqa: F405
MIDDLEWARE = ["googlesandbox.middleware.SandboxRoutingMiddleware", *MIDDLEWARE]  # noqa: F405
