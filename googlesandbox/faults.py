"""Google's limits and fault injection, applied to every Directory/Reports call, per domain.

Order per call (after the token is known):
1. the per-account concurrent-request limit: at most `concurrent_limit` requests of one
   Workspace account (customer) in flight; one more answers 403 quotaExceeded — Google's
   Directory API limits page: "quotaExceeded: the limit of concurrent requests for a certain
   operation has been reached". The slot is held until the response is built;
2. added latency (latency_ms ± jitter_ms, slept, inside the slot) — for the calls of a batch
   (googlesandbox/batch.py), once for the whole batch instead: it is one round trip;
3. the per-minute quota as a strict sliding 60-second window per (client id = project,
   subject): a call passes only while fewer than `qpm` calls passed in the last 60 s, so no
   burst ever exceeds the per-minute number. Past it: 403 userRateLimitExceeded (Google's
   Directory API limits page, the default 2,400 queries per minute per user per project);
4. random errors by kind. With `fault_seed` set the draws are a function of the seed, the
   request (method, path, query without the page token) and how many times that request was
   made since the seed was set: the same calls meet the same errors however concurrent
   threads interleave them — a fault test is deterministic, not merely seeded. Without a seed
   they come from one shared generator.

Windows, slots and generators live in the memory of the sandbox server process (one process,
like one Google frontend), on real time (the sandbox clock's travel does not refill quotas).
"""

import contextlib
import random
import threading
import time
from collections import deque

from . import errors
from .models import Faults

WINDOW_SECONDS = 60.0

_lock = threading.Lock()
_windows: dict[tuple[str, str], deque] = {}
_in_flight: dict[int, int] = {}
_default_rng = random.Random()
_batch = threading.local()


@contextlib.contextmanager
def calls_in_batch():
    """The calls served inside this block belong to one batch: their latency was paid once,
    by `batch_round_trip`."""
    _batch.active = True
    try:
        yield
    finally:
        _batch.active = False


def batch_round_trip(authorization: str) -> None:
    """Sleep a batch's latency once, as its caller's domain is configured (nothing when the
    token is unknown: each call of the batch then answers 401 on its own)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return
    faults = Faults.objects.filter(domain__tokens__token=value.strip()).first()
    if faults is None or not (faults.latency_ms or faults.jitter_ms):
        return
    # drawn like a call's jitter: reproducible under the domain's fault seed
    rng = rng_for(faults, "POST /batch")
    with _lock:
        delay = faults.latency_ms + rng.uniform(-faults.jitter_ms, faults.jitter_ms)
    if delay > 0:
        time.sleep(delay / 1000.0)


def quota_take(key: tuple[str, str], qpm: int) -> bool:
    """True when a call under `key` may pass now (and count it); False past the window."""
    now = time.monotonic()
    with _lock:
        window = _windows.setdefault(key, deque())
        while window and now - window[0] >= WINDOW_SECONDS:
            window.popleft()
        if len(window) >= qpm:
            return False
        window.append(now)
        return True


def quota_reset() -> None:
    with _lock:
        _windows.clear()
        _in_flight.clear()
        _occurrences.clear()


@contextlib.contextmanager
def concurrency_slot(domain_id: int, limit: int):
    """Hold one of the account's `limit` request slots (0 = no limit) or raise quotaExceeded."""
    with _lock:
        current = _in_flight.get(domain_id, 0)
        if limit and current >= limit:
            raise errors.concurrent_quota_exceeded()
        _in_flight[domain_id] = current + 1
    try:
        yield
    finally:
        with _lock:
            _in_flight[domain_id] -= 1


_occurrences: dict[tuple, int] = {}


def rng_for(faults: Faults, request_key: str = "") -> random.Random:
    """The generator of one call's draws: deterministic per request when `fault_seed` is set
    (restarted when it is set again), else the shared generator."""
    if faults.fault_seed is None:
        return _default_rng
    key = (faults.domain_id, faults.fault_seed, faults.fault_seed_set_at, request_key)
    with _lock:
        nth = _occurrences.get(key, 0)
        _occurrences[key] = nth + 1
    return random.Random(f"{faults.fault_seed}:{faults.domain_id}:{request_key}:{nth}")


ERROR_FACTORIES = {
    "429": errors.rate_limit_exceeded,
    "500": lambda: errors.backend_error(500),
    "503": lambda: errors.backend_error(503),
    "userRateLimitExceeded": errors.user_rate_limit_exceeded,
    "quotaExceeded": errors.quota_exceeded,
    "dailyLimitExceeded": errors.daily_limit_exceeded,
}


def faults_apply(
    faults: Faults | None, *, client_id: str, subject: str, request_key: str = ""
) -> None:
    """Sleep and/or raise an ApiError as the domain's settings say (steps 2-4 above)."""
    if faults is None:
        return
    rng = rng_for(faults, request_key)
    with _lock:
        # one lock around the draws: concurrent calls never interleave one call's draws
        delay = 0.0
        if (faults.latency_ms or faults.jitter_ms) and not getattr(_batch, "active", False):
            delay = faults.latency_ms + rng.uniform(-faults.jitter_ms, faults.jitter_ms)
        draws = [(kind, rng.random()) for kind, rate in (faults.error_rates or {}).items() if rate]
    if delay > 0:
        time.sleep(delay / 1000.0)
    if not quota_take((client_id, subject), faults.qpm):
        raise errors.user_rate_limit_exceeded()
    for kind, draw in draws:
        if draw < faults.error_rates[kind]:
            if kind == "timeout":
                # hang like an overloaded frontend; the client's own timeout should fire first
                time.sleep(faults.timeout_seconds)
                raise errors.deadline_exceeded()
            raise ERROR_FACTORIES[kind]()
