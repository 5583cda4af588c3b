"""Per-domain settings: fault injection and Google's own limits (googlesandbox/conf.py)."""

from .. import clock
from ..models import Domain, Faults
from .common import SandboxError, domain_resolve, faults_of

FAULT_KINDS = (
    "429",
    "500",
    "503",
    "userRateLimitExceeded",
    "quotaExceeded",
    "dailyLimitExceeded",
    "timeout",
)

# keyword -> (Faults field, minimum accepted)
NUMERIC_SETTINGS = {
    "latency_ms": 0,
    "jitter_ms": 0,
    "qpm": 1,
    "timeout_seconds": 0,
    "search_lag_seconds": 0,
    "concurrent_limit": 0,
    "install_delay_seconds": 0,
    "channel_ttl_max_seconds": 1,
    "page_token_ttl_seconds": 1,
    "reports_lag_seconds": 0,
    "retention_days": 0,
}
FLAG_SETTINGS = ("drop_push", "alias_matching", "login_push_update")


def faults_set(
    *,
    domain: "Domain | str",
    latency_ms: int | None = None,
    jitter_ms: int | None = None,
    error_rates: dict | None = None,
    qpm: int | None = None,
    drop_push: bool | None = None,
    timeout_seconds: float | None = None,
    seed: int | None = None,
    search_lag_seconds: float | None = None,
    alias_matching: bool | None = None,
    concurrent_limit: int | None = None,
    install_delay_seconds: float | None = None,
    channel_ttl_max_seconds: int | None = None,
    page_token_ttl_seconds: int | None = None,
    reports_lag_seconds: float | None = None,
    login_push_update: bool | None = None,
    retention_days: float | None = None,
) -> Faults:
    """Change the domain's settings; None leaves a setting as it is.

    `seed` makes the random error and jitter draws reproducible: the same seed (set again)
    restarts the same sequence of draws for the same sequence of calls.
    """
    values = dict(locals())
    domain = domain_resolve(domain)
    faults = faults_of(domain)
    if error_rates is not None:
        unknown = set(error_rates) - set(FAULT_KINDS)
        if unknown:
            raise SandboxError(
                f"Unknown fault kind(s) {sorted(unknown)}; use {', '.join(FAULT_KINDS)}"
            )
        for kind, rate in error_rates.items():
            if not 0 <= float(rate) <= 1:
                raise SandboxError(f"Error rate for {kind} must be within 0..1")
        faults.error_rates = {k: float(v) for k, v in error_rates.items() if float(v) > 0}
    for name, minimum in NUMERIC_SETTINGS.items():
        value = values[name]
        if value is None:
            continue
        if value < minimum:
            raise SandboxError(f"{name} must be at least {minimum}")
        setattr(faults, name, value)
    for name in FLAG_SETTINGS:
        if values[name] is not None:
            setattr(faults, name, bool(values[name]))
    if seed is not None:
        faults.fault_seed = int(seed)
        faults.fault_seed_set_at = clock.now()
    faults.save()
    return faults


def faults_dict(faults: Faults) -> dict:
    return {
        "latency_ms": faults.latency_ms,
        "jitter_ms": faults.jitter_ms,
        "error_rates": faults.error_rates,
        "qpm": faults.qpm,
        "drop_push": faults.drop_push,
        "timeout_seconds": faults.timeout_seconds,
        "seed": faults.fault_seed,
        "search_lag_seconds": faults.search_lag_seconds,
        "alias_matching": faults.alias_matching,
        "concurrent_limit": faults.concurrent_limit,
        "install_delay_seconds": faults.install_delay_seconds,
        "channel_ttl_max_seconds": faults.channel_ttl_max_seconds,
        "page_token_ttl_seconds": faults.page_token_ttl_seconds,
        "reports_lag_seconds": faults.reports_lag_seconds,
        "login_push_update": faults.login_push_update,
        "retention_days": faults.retention_days,
    }
