"""Settings shared by every environment. Every value comes from the environment (django-environ).

local.py / test.py only set *defaults* for the environment before importing this module, so
anything exported in the shell always wins; production.py insists on real values.
"""

from pathlib import Path

import environ

from config.logging import structured_logging

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# --- Core -------------------------------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
PRODUCT_NAME = env("PRODUCT_NAME", default="Hearth")
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@hearth.example")
PORT = env.int("PORT", default=8000)
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
HELP_ARTICLE_URL = env("HELP_ARTICLE_URL", default=f"{SITE_URL}/help/g-suite-integration/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "django_structlog",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # Hearth
    "organizations",
    "usermanagement",
    "audit",
    "notifications",
    "integrations",
    "invitations",
    "licenses",
    "access",
    "panel",
    "startup",
    "support",
]
# The Google emulator (googlesandbox) is installed by local.py and test.py only: production
# never installs, migrates or routes an app that mints Google tokens.

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Per-request headers (the referrer policy of secret URLs, the sandbox's CSP exemption):
    # after the two above, which only fill in what it has not set.
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "organizations.middleware.OrganizationMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "panel.context_processors.hearth",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in local runs: WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock at BEGIN (no upgrade deadlocks) and the timeout
    # makes a busy writer wait instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Each web worker and task process keeps its PostgreSQL connection between requests:
    # opening one costs PostgreSQL a process fork and an authentication, which on a busy web
    # server was a fifth of a People page's work. Checked before reuse, so a connection
    # PostgreSQL dropped is replaced rather than failing the next request.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth's rate limits and short-lived locks need one shared by all processes) ----
CACHE_URL = env("CACHE_URL", default="locmem://")
if CACHE_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth & allauth ---------------------------------------------------------------------------
AUTH_USER_MODEL = "usermanagement.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Email is unique only among people who are not archived (a database constraint), because
# Google reuses a deleted person's address; UserManager.get_by_natural_key looks up that way.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# The signing-up person's email domain becomes the organization's primary domain, so the
# address must be proven before the account is usable.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "access.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "access.forms.OrganizationSignupForm"}
# Sign-in rate limits (allauth's defaults, stated): failed sign-ins per client IP, and per
# account — the limit that stops guessing one person's password from many addresses. Counted in
# the cache, which production requires to be shared (Redis) so that every process counts.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key", "login": "30/m/ip"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PRODUCT_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
SOCIALACCOUNT_ADAPTER = "access.adapters.SocialAccountAdapter"

# --- Google (the sandbox stands in for Google in local runs and tests) -----------------------
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8001)
GOOGLE_SANDBOX_ENABLED = env.bool("GOOGLE_SANDBOX_ENABLED", default=False)
_sandbox_url = f"http://127.0.0.1:{SANDBOX_PORT}"
if GOOGLE_SANDBOX_ENABLED:
    _google_defaults = {
        "token": f"{_sandbox_url}/token",
        "api": f"{_sandbox_url}/",
        "oidc": _sandbox_url,
        "marketplace": f"{_sandbox_url}/marketplace/hearth",
        "api_access": f"{_sandbox_url}/console/{{domain}}/settings/",
    }
else:
    _google_defaults = {
        "token": "https://oauth2.googleapis.com/token",
        "api": "https://admin.googleapis.com/",
        "oidc": "https://accounts.google.com",
        "marketplace": "https://workspace.google.com/marketplace",
        "api_access": "https://admin.google.com/ac/owl",
    }
GOOGLE_TOKEN_URI = env("GOOGLE_TOKEN_URI", default=_google_defaults["token"])
GOOGLE_API_ENDPOINT = env("GOOGLE_API_ENDPOINT", default=_google_defaults["api"])
GOOGLE_OIDC_URL = env("GOOGLE_OIDC_URL", default=_google_defaults["oidc"])
GOOGLE_MARKETPLACE_URL = env("GOOGLE_MARKETPLACE_URL", default=_google_defaults["marketplace"])
# Where a G Suite admin turns API access back on (the fix of "The API access has been disabled
# ..."); "{domain}" is replaced by the organization's domain.
GOOGLE_API_ACCESS_URL = env("GOOGLE_API_ACCESS_URL", default=_google_defaults["api_access"])
GOOGLE_SERVICE_ACCOUNT_KEY_FILE = env(
    "GOOGLE_SERVICE_ACCOUNT_KEY_FILE", default=str(BASE_DIR / ".local/google-service-account.json")
)
# How Hearth talks to Google: its share of the 2,400 queries/minute quota, fetch concurrency,
# and the retry policy for transient errors (capped exponential backoff with jitter).
GOOGLE_QUOTA_PER_MINUTE = env.int("GOOGLE_QUOTA_PER_MINUTE", default=2400)
# 40 calls/s at Google's ~150 ms per call needs 6 in flight on average; with 8 the fetch was
# latency-bound (30 s for 1,072 calls in the Google-like benchmark), with 16 the quota binds.
GOOGLE_FETCH_WORKERS = env.int("GOOGLE_FETCH_WORKERS", default=16)
GOOGLE_HTTP_TIMEOUT_SECONDS = env.int("GOOGLE_HTTP_TIMEOUT_SECONDS", default=30)
GOOGLE_RETRY_ATTEMPTS = env.int("GOOGLE_RETRY_ATTEMPTS", default=8)
GOOGLE_RETRY_BASE_SECONDS = env.float("GOOGLE_RETRY_BASE_SECONDS", default=0.5)
GOOGLE_RETRY_CAP_SECONDS = env.float("GOOGLE_RETRY_CAP_SECONDS", default=32.0)
# After an admin left for the Marketplace, a "not installed" answer is read as "not applied
# yet" for this long: the wizard keeps checking before it shows the error.
GOOGLE_INSTALL_PATIENCE_SECONDS = env.int("GOOGLE_INSTALL_PATIENCE_SECONDS", default=600)
# Real-time sync (integrations/realtime): push channels posting to SITE_URL (HTTPS at Google),
# the admin-activity feed as the safety net. Off: the scheduled full sync alone.
REALTIME_ENABLED = env.bool("REALTIME_ENABLED", default=True)
# notifications about one person within this many seconds merge into one refresh
REALTIME_DEBOUNCE_SECONDS = env.float("REALTIME_DEBOUNCE_SECONDS", default=1.0)
# during a burst an organization's refresh runs start at least this far apart, each taking all
# that fell due meanwhile: a run has a fixed cost (the lock, its record, the seat pass), and
# back to back they took a handful of changes each (integrations/realtime/queue.py)
REALTIME_RUN_SPACING_SECONDS = env.float("REALTIME_RUN_SPACING_SECONDS", default=1.0)
# a users.watch `update` (also sent when someone signs in) waits for the admin activity that
# confirms it instead of a users.get each (integrations/realtime/webhook.py)
REALTIME_UPDATES_WAIT_FOR_ACTIVITY = env.bool("REALTIME_UPDATES_WAIT_FOR_ACTIVITY", default=True)
# the feed re-reads this far back on every poll: wider than Google's reporting lag
REALTIME_FEED_OVERLAP_SECONDS = env.int("REALTIME_FEED_OVERLAP_SECONDS", default=20 * 60)
REALTIME_FEED_INTERVAL_SECONDS = env.int("REALTIME_FEED_INTERVAL_SECONDS", default=60)
REALTIME_FEED_MAX_INTERVAL_SECONDS = env.int("REALTIME_FEED_MAX_INTERVAL_SECONDS", default=15 * 60)
# a user change the feed shows that no notification followed within this long: push degraded
REALTIME_PUSH_GRACE_SECONDS = env.int("REALTIME_PUSH_GRACE_SECONDS", default=120)
# How long a sync run's hold on its organization's lock lasts without renewal; a run whose
# worker died is resumed by the schedule within a minute after that.
SYNC_LOCK_LEASE_SECONDS = env.int("SYNC_LOCK_LEASE_SECONDS", default=120)
GOOGLE_OIDC_CLIENT_ID = env("GOOGLE_OIDC_CLIENT_ID", default="")
GOOGLE_OIDC_CLIENT_SECRET = env("GOOGLE_OIDC_CLIENT_SECRET", default="")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": "google",
                "name": "Google",
                "client_id": GOOGLE_OIDC_CLIENT_ID,
                "secret": GOOGLE_OIDC_CLIENT_SECRET,
                "settings": {"server_url": GOOGLE_OIDC_URL},
            }
        ]
        if GOOGLE_OIDC_CLIENT_ID
        else [],
    }
}

# --- Security headers: in every environment, so tests and local runs see what production sends
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Pages whose URL is a secret (finalize link, invitation, allauth keys) send "strict-origin"
# instead, never their path: config.security.SecurityHeadersMiddleware.
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from Hearth's own static files —
# no inline <script>, no on*= handlers, no eval (htmx is configured without it in base.html),
# no inline style attributes. Exceptions, both in config.security: the Google sandbox's pages
# (a test tool that never runs in production) send none; the support console's email preview
# allows inline style attributes. People's photos come from Google (from the sandbox locally);
# "Sign in with Google" posts a form that redirects to Google, hence its origin in form-action.
if GOOGLE_SANDBOX_ENABLED:
    _photo_origins = _sign_in_origins = ["http://127.0.0.1:*"]  # the sandbox, on any port
else:
    _photo_origins = ["https://*.googleusercontent.com", "https://www.google.com"]
    _sign_in_origins = ["/".join(GOOGLE_OIDC_URL.split("/")[:3])]  # scheme://host[:port]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the small SVG icons inside Bootstrap's CSS (select arrows, check marks).
        "img-src": ["'self'", "data:", *_photo_origins],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *_sign_in_origins],
        "frame-ancestors": ["'none'"],
    },
}

# --- History retention (support/retention.py, pruned every night) ---------------------------
# Sync runs with their per-object changes, and the email log, are kept this many days. Held
# plans and runs that failed are kept longer (what support is asked about months later); a plan
# still waiting for review, a run not yet finished and each organization's latest run are never
# pruned, nor is an email not yet sent. The audit log is never pruned.
RETENTION_SYNC_RUNS_DAYS = env.int("RETENTION_SYNC_RUNS_DAYS", default=90)
RETENTION_SYNC_RUNS_WITH_ERRORS_DAYS = env.int("RETENTION_SYNC_RUNS_WITH_ERRORS_DAYS", default=365)
RETENTION_EMAIL_LOG_DAYS = env.int("RETENTION_EMAIL_LOG_DAYS", default=180)

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu's filesystem transport: a broker without a server, for `make run`.
    _broker_dir = Path(env("CELERY_FILESYSTEM_BROKER_DIR", default=str(BASE_DIR / ".local/broker")))
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # broadcast (pidbox) messages; kombu's default is ./control in the working directory
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{PRODUCT_NAME} <no-reply@hearth.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
# collectstatic's target; production sets it, local runs and tests serve from STATICFILES_DIRS.
STATIC_ROOT = env("STATIC_ROOT", default=None)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- I18N -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: structured, with the request id carried into task logs -------------------------
DJANGO_STRUCTLOG_CELERY_ENABLED = True
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="console")  # "json" in production
LOGGING = structured_logging(level=LOG_LEVEL, json=LOG_FORMAT == "json")
