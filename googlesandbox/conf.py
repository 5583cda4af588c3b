"""The sandbox's own settings, each with the default `make run` uses.

Read from Django settings when the project defines them, else from the environment, else the
default here — so the sandbox needs nothing from Hearth's settings modules. Tests lower some of
them (tests/googlesandbox/fixtures.py). Each per-domain value is copied into the domain's
`Faults` row when the row is created; `sandbox faults` and the console change it per domain.
"""

import os

from django.conf import settings

# name -> (type, default for `make run`)
DEFAULTS = {
    # search index lag: users.list with `query` sees the directory as it was this long ago
    "SANDBOX_SEARCH_LAG_SECONDS": (float, 30.0),
    # `email:` searches also match aliases and domain-alias addresses, as Google's do
    "SANDBOX_ALIAS_MATCHING": (bool, True),
    # Google's default per-user quota (Directory API limits page)
    "SANDBOX_QPM": (int, 2400),
    # requests of one Workspace account in flight at once before 403 quotaExceeded (0 = none)
    "SANDBOX_CONCURRENT_LIMIT": (int, 10),
    # a Marketplace domain install / delegation takes this long to take effect
    "SANDBOX_INSTALL_DELAY_SECONDS": (float, 20.0),
    # Google caps a users.watch channel at 6 hours
    "SANDBOX_CHANNEL_TTL_MAX_SECONDS": (int, 21600),
    # how long a nextPageToken stays usable
    "SANDBOX_PAGE_TOKEN_TTL_SECONDS": (int, 3600),
    # Reports API: an event is listed only this long after it happened
    "SANDBOX_REPORTS_LAG_SECONDS": (float, 60.0),
    # a sign-in also sends a users.watch `update` push (pessimistic)
    "SANDBOX_LOGIN_PUSH_UPDATE": (bool, True),
    # deleted users are purged this many days after deletion (Google: 20)
    "SANDBOX_RETENTION_DAYS": (float, 20.0),
    # `sandbox serve`: one random sign-in every N seconds per domain (0 = off)
    "SANDBOX_LOGIN_TRICKLE_SECONDS": (float, 5.0),
}


def setting(name: str):
    kind, default = DEFAULTS[name]
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    if kind is bool and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return kind(value)


# Field defaults of googlesandbox.models.Faults (module-level so migrations can name them).
def default_search_lag_seconds() -> float:
    return setting("SANDBOX_SEARCH_LAG_SECONDS")


def default_alias_matching() -> bool:
    return setting("SANDBOX_ALIAS_MATCHING")


def default_qpm() -> int:
    return setting("SANDBOX_QPM")


def default_concurrent_limit() -> int:
    return setting("SANDBOX_CONCURRENT_LIMIT")


def default_install_delay_seconds() -> float:
    return setting("SANDBOX_INSTALL_DELAY_SECONDS")


def default_channel_ttl_max_seconds() -> int:
    return setting("SANDBOX_CHANNEL_TTL_MAX_SECONDS")


def default_page_token_ttl_seconds() -> int:
    return setting("SANDBOX_PAGE_TOKEN_TTL_SECONDS")


def default_reports_lag_seconds() -> float:
    return setting("SANDBOX_REPORTS_LAG_SECONDS")


def default_login_push_update() -> bool:
    return setting("SANDBOX_LOGIN_PUSH_UPDATE")


def default_retention_days() -> float:
    return setting("SANDBOX_RETENTION_DAYS")
