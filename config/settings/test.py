"""The test suite: real PostgreSQL and Redis, the Google sandbox on (served by a fixture)."""

import os

for _name, _value in {
    "SECRET_KEY": "test-only-not-a-secret",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hearth",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "locmem://",
    "EMAIL_URL": "memorymail://",
    "SITE_URL": "http://testserver",
    "GOOGLE_SANDBOX_ENABLED": "true",
    "GOOGLE_OIDC_CLIENT_ID": "hearth-test-oidc-client",
    "GOOGLE_OIDC_CLIENT_SECRET": "hearth-test-oidc-secret",
    # The sandbox's and the browser tests' servers answer on threads that end without closing
    # a kept connection, which would block dropping the test database at the end of the run.
    "DATABASE_CONN_MAX_AGE": "0",
}.items():
    os.environ.setdefault(_name, _value)

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tasks are sent to the real broker; tests that need a worker start one (see tests/test_celery).
CELERY_TASK_ALWAYS_EAGER = False

# The offline Google emulator, served by its own server (`manage.py sandbox serve`, the tests'
# fixture) on its own URLconf; its routing middleware goes first. Never in production.py.
INSTALLED_APPS = [*INSTALLED_APPS, "googlesandbox"]  # noqa: F405
MIDDLEWARE = ["googlesandbox.middleware.SandboxRoutingMiddleware", *MIDDLEWARE]  # noqa: F405
