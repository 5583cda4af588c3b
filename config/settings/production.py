"""Production: every secret and address must come from the environment; hardened defaults."""

import os

# Forced, not a default: base.py derives Google's addresses and the CSP from it, so a stray
# GOOGLE_SANDBOX_ENABLED=true would point them at the emulator's 127.0.0.1.
os.environ["GOOGLE_SANDBOX_ENABLED"] = "false"
os.environ.setdefault("LOG_FORMAT", "json")

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHE_URL, env

DEBUG = False
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))  # noqa: F405
GOOGLE_SANDBOX_ENABLED = False  # the emulator never serves in production
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Sign-in rate limits, locks and anything else kept in the cache must be counted once for all
# web processes and machines: a per-process cache would multiply every limit by their number.
if not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "CACHE_URL must name a Redis shared by every process (redis://...), not " + repr(CACHE_URL)
    )
# Behind the load balancer (see SECURE_PROXY_SSL_HEADER), the client's address is the last one
# it adds to X-Forwarded-For; allauth's per-IP limits must count clients, not the balancer.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
