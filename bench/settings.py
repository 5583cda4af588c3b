"""Settings for benchmark runs: the real base settings, production-like where it matters.

The harness (bench/env.py) exports DATABASE_URL, CELERY_BROKER_URL, CACHE_URL (the broker's
Redis, as production requires a shared cache), SANDBOX_PORT and the key
file path before anything imports this module; these lines only fill in the rest. Unlike
config.settings.local, DEBUG stays off: with DEBUG on Django keeps every SQL statement in
memory, which would make the peak-memory figure of a 100,000-user sync meaningless.
"""

import os

for _name, _value in {
    "SECRET_KEY": "bench-only-not-a-secret",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hearth_bench",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
    "CACHE_URL": "locmem://",
    "EMAIL_URL": "memorymail://",
    "SITE_URL": "http://testserver",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "GOOGLE_SANDBOX_ENABLED": "true",
    "GOOGLE_OIDC_CLIENT_ID": "hearth-bench-oidc-client",
    "GOOGLE_OIDC_CLIENT_SECRET": "hearth-bench-oidc-secret",
    "LOG_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_name, _value)

from config.settings.base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeding speed only
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Scenarios 1 and 2 measure this machine, not Google's quota: the sandbox imposes none there and
# the harness lifts the client's own per-minute gate to match (BENCH_GOOGLE_QUOTA_PER_MINUTE);
# scenario 3 leaves Hearth's default, Google's 2,400 queries per minute.
if os.environ.get("BENCH_GOOGLE_QUOTA_PER_MINUTE"):
    GOOGLE_QUOTA_PER_MINUTE = int(os.environ["BENCH_GOOGLE_QUOTA_PER_MINUTE"])

# A view that fails is reported once by the harness ("could not measure", the traceback in the
# run's log directory); Django's own error log would print it again for every request.
LOGGING["loggers"]["django.request"] = {"level": "CRITICAL"}  # noqa: F405
LOGGING["loggers"]["django_structlog"] = {"level": "CRITICAL"}  # noqa: F405

# The offline Google emulator, served by its own server (`manage.py sandbox serve`, the tests'
# fixture) on its own URLconf; its routing middleware goes first. Never in production.py.
INSTALLED_APPS = [*INSTALLED_APPS, "googlesandbox"]  # noqa: F405
MIDDLEWARE = ["googlesandbox.middleware.SandboxRoutingMiddleware", *MIDDLEWARE]  # noqa: F405
