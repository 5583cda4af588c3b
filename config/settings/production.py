"""Production: every secret and address must come from the environment; hardened defaults."""

import os

os.environ.setdefault("GOOGLE_SANDBOX_ENABLED", "false")
os.environ.setdefault("LOG_FORMAT", "json")

from .base import *  # noqa: F403
from .base import env

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
