"""The sandbox clock: real time plus a stored offset, so tests and demos can travel in time.

Everything Google does "later" reads this clock: search-index lag, install delay, page-token
expiry, channel expiry, Reports lag, the purge of deleted users, and the times the sandbox
stamps on changes. Access tokens and JWT assertions stay on real time (google-auth and the
Hearth client keep real time too; a travelled token must not expire under them).

The offset lives in the database (one row) so every process — the sandbox server's threads, a
CLI process, the test — sees the same time; each process caches it for CACHE_SECONDS, and a
travel made in this process is seen at once.
"""

import threading
import time
from datetime import datetime, timedelta

from django.utils import timezone

from .models import SandboxClock

CACHE_SECONDS = 1.0
_lock = threading.Lock()
_cached: list[float] = [0.0, -1e9]  # [offset seconds, monotonic time read]


def offset_seconds() -> float:
    with _lock:
        offset, read_at = _cached
    started = time.monotonic()
    if started - read_at < CACHE_SECONDS:
        return offset
    row = SandboxClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
    offset = float(row or 0.0)
    with _lock:
        if _cached[1] > started:
            # a travel in this process while we read: ours may predate it, keep the travel's
            return _cached[0]
        _cached[:] = [offset, time.monotonic()]
    return offset


def now() -> datetime:
    offset = offset_seconds()
    current = timezone.now()
    return current + timedelta(seconds=offset) if offset else current


def clock_set(offset: float) -> float:
    SandboxClock.objects.update_or_create(pk=1, defaults={"offset_seconds": float(offset)})
    with _lock:
        _cached[:] = [float(offset), time.monotonic()]
    return float(offset)


def clock_travel(seconds: float) -> datetime:
    """Move the sandbox clock `seconds` ahead (never back: Google's time only moves on)."""
    if seconds < 0:
        raise ValueError("The sandbox clock only moves forward")
    clock_set(offset_seconds_fresh() + seconds)
    return now()


def offset_seconds_fresh() -> float:
    row = SandboxClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
    return float(row or 0.0)


def clock_reset() -> None:
    clock_set(0.0)
