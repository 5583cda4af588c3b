"""Push delivery: the drainer thread of the sandbox server posts PushOutbox rows.

Flow, every `interval` seconds: take due rows (not delivered, not abandoned,
next_attempt_at <= now) oldest first; a row whose channel is stopped or expired is abandoned
unsent; otherwise POST it to the channel address with Google's X-Goog-* headers, several at
once (Google does not wait for one notification's answer before sending the next: one at a
time, a burst of 1,000 took 40 s to deliver to a webhook answering in 40 ms). A 2xx marks it
delivered; a 5xx or a network error schedules a retry with exponential backoff (0.5 s doubling,
capped at 60 s, at most MAX_ATTEMPTS tries); any other answer abandons it (Google does not
retry 4xx). Rows are claimed by leasing them (next_attempt_at pushed 30 s ahead) in a short
transaction with SELECT ... FOR UPDATE SKIP LOCKED where supported, and posted outside any
transaction — no lock (nor SQLite's write lock) is held during an HTTP call.

Because changes only write the outbox, a change made from the CLI — a process that exits at
once — is delivered by whichever sandbox server is running.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import format_datetime

import requests
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from . import clock
from .models import PushOutbox

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 50
DELIVERY_TIMEOUT = 5.0
LEASE = timedelta(seconds=30)  # a claimed row is retried if its drainer died mid-send
DELIVERY_CONCURRENCY = 8  # notifications in flight at once

_thread = threading.local()


def _headers(row: PushOutbox) -> dict:
    channel = row.channel
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "X-Goog-Channel-ID": channel.channel_id,
        "X-Goog-Channel-Expiration": format_datetime(channel.expires_at, usegmt=True),
        "X-Goog-Resource-ID": channel.resource_id,
        "X-Goog-Resource-URI": channel.resource_uri,
        "X-Goog-Resource-State": row.state,
        "X-Goog-Message-Number": str(message_number(row)),
        "User-Agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
    }
    if channel.token:
        headers["X-Goog-Channel-Token"] = channel.token
    return headers


def message_number(row: PushOutbox) -> int:
    """1 for the `sync` message; then numbers that increase on the channel but are not
    sequential — Google's own words. The outbox id serves: numbering per channel would make
    every change in a domain wait for the last one's commit (they would lock the channel's
    counter)."""
    return 1 if row.state == "sync" else row.pk + 1


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(60.0, 0.5 * 2 ** (attempts - 1)))


def _claim(now) -> list[PushOutbox]:
    """Lease due rows for LEASE seconds in a short transaction (no lock held while posting)."""
    with transaction.atomic():
        due = PushOutbox.objects.filter(
            delivered_at__isnull=True, abandoned_at__isnull=True, next_attempt_at__lte=now
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("id").values_list("id", flat=True)[:BATCH])
        PushOutbox.objects.filter(id__in=ids).update(next_attempt_at=now + LEASE)
    return list(PushOutbox.objects.select_related("channel").filter(id__in=ids).order_by("id"))


def _post(row: PushOutbox) -> tuple[int | None, str]:
    """POST one notification (any thread: each keeps its own HTTP session)."""
    session = getattr(_thread, "session", None)
    if session is None:
        session = _thread.session = requests.Session()
    try:
        answer = session.post(
            row.channel.address,
            data=row.body.encode(),
            headers=_headers(row),
            timeout=DELIVERY_TIMEOUT,
        )
    except requests.RequestException as exc:
        return None, str(exc)[:500]
    return answer.status_code, f"HTTP {answer.status_code}"


def _settle(row: PushOutbox, status: int | None, error: str) -> None:
    now = timezone.now()
    row.attempts += 1
    if status is not None and 200 <= status < 300:
        row.delivered_at = now
        row.last_error = ""
    elif (status is None or status >= 500) and row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at = now + _backoff(row.attempts)
        row.last_error = error
    else:
        row.abandoned_at = now
        row.last_error = error
    row.save(
        update_fields=["attempts", "delivered_at", "abandoned_at", "next_attempt_at", "last_error"]
    )


def push_drain_once(*, pool: ThreadPoolExecutor | None = None) -> int:
    """Deliver the due outbox rows — posted from `pool`'s threads when given, else one after
    another; the rows are written from the calling thread only. Returns how many were handled."""
    rows = _claim(timezone.now())
    sendable = []
    for row in rows:
        channel = row.channel
        # channel lifetimes run on the sandbox clock (time travel expires them)
        if channel.stopped_at is not None or channel.expires_at <= clock.now():
            row.abandoned_at = timezone.now()
            row.last_error = "channel stopped or expired"
            row.save(update_fields=["abandoned_at", "last_error"])
            continue
        sendable.append(row)
    answers = pool.map(_post, sendable) if pool else map(_post, sendable)
    for row, (status, error) in zip(sendable, answers, strict=True):
        _settle(row, status, error)
    return len(rows)


class PushDrainer(threading.Thread):
    """Background thread draining the outbox until `stop()`."""

    def __init__(self, interval: float = 0.2):
        super().__init__(name="gsandbox-push-drainer", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        pool = ThreadPoolExecutor(DELIVERY_CONCURRENCY, thread_name_prefix="gsandbox-push")
        try:
            while not self._stop_event.is_set():
                try:
                    close_old_connections()
                    handled = push_drain_once(pool=pool)
                except Exception:  # the drainer must outlive any one bad row
                    logger.exception("push drain failed")
                    handled = 0
                if not handled:
                    self._stop_event.wait(self.interval)
        finally:
            pool.shutdown(wait=True)
            connection.close()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.join(timeout)
