"""Fault injection applied to every Directory/Reports call, per domain.

Order per call: added latency (latency_ms ± jitter_ms, slept), then the per-minute quota, then
random errors by kind. The quota is a token bucket per (client id = project, subject): it
holds at most `qpm` tokens, starts full and refills continuously at qpm/60 per second, so a
burst can spend at most one minute's allowance and nothing more until tokens flow back in —
no window boundary to game. Past it: 403 userRateLimitExceeded, as Google answers.

The buckets live in the memory of the sandbox server process (one process, like one Google
frontend); they reset when `qpm` changes.
"""

import random
import threading
import time

from . import errors
from .models import Faults

_rng = random.Random()
_lock = threading.Lock()
_buckets: dict[tuple[str, str], list[float]] = {}  # key -> [tokens, last_refill, qpm]


def quota_take(key: tuple[str, str], qpm: int) -> bool:
    now = time.monotonic()
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None or bucket[2] != qpm:
            bucket = _buckets[key] = [float(qpm), now, qpm]
        tokens = min(float(qpm), bucket[0] + (now - bucket[1]) * qpm / 60.0)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1.0
        return True


def quota_reset() -> None:
    with _lock:
        _buckets.clear()


ERROR_FACTORIES = {
    "429": errors.rate_limit_exceeded,
    "500": lambda: errors.backend_error(500),
    "503": lambda: errors.backend_error(503),
    "userRateLimitExceeded": errors.user_rate_limit_exceeded,
    "quotaExceeded": errors.quota_exceeded,
}


def faults_apply(faults: Faults | None, *, client_id: str, subject: str) -> None:
    """Sleep and/or raise an ApiError as the domain's fault settings say."""
    if faults is None:
        return
    if faults.latency_ms or faults.jitter_ms:
        delay = faults.latency_ms + _rng.uniform(-faults.jitter_ms, faults.jitter_ms)
        if delay > 0:
            time.sleep(delay / 1000.0)
    if not quota_take((client_id, subject), faults.qpm):
        raise errors.user_rate_limit_exceeded()
    for kind, rate in (faults.error_rates or {}).items():
        if rate and _rng.random() < rate:
            if kind == "timeout":
                # hang like an overloaded frontend; the client's own timeout should fire first
                time.sleep(faults.timeout_seconds)
                raise errors.deadline_exceeded()
            raise ERROR_FACTORIES[kind]()
