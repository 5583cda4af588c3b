"""The Directory and Reports client: lazy pages, retries with backoff, quota, thread safety.

Flow of one call: wait for room in the sync account's quota window (a strict sliding minute, so
a run stays under Google's per-minute quota instead of bouncing off it) and for a concurrency
slot (the number of calls in flight backs off when Google answers 403 quotaExceeded to too many
concurrent requests), execute the request, and on failure either retry — transient answers only
(429, 5xx, timeouts, 403 rate/quota reasons), capped exponential backoff with full jitter — or
raise the typed error from integrations.google.errors.translate. Nothing outside this package
sees a Google exception.

Listings are generators of pages (lists of resource dicts): memory stays one page per stream.
The users listing is always Google's plain listing (no `query`): a search reads Google's search
index, which lags the directory and matches aliases, so it can never say who exists.
httplib2 is not thread-safe, so every thread builds its own service objects (thread-local);
`read_ahead` and `members_concurrent` fetch on a small pool of threads feeding a bounded queue
(`Prefetch`, a context manager: leaving it — normally or by an exception — stops and joins its
threads), so the consumer (the sync, writing to the database) never holds more than a few pages
in memory and a failed run never leaves a thread behind.
"""

import collections
import contextlib
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import google_auth_httplib2
import httplib2
from django.conf import settings
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from integrations.errors import GoogleTemporaryError, IntegrationError

from .credentials import credentials_for
from .errors import (
    GoogleNotFound,
    GooglePageTokenExpired,
    failure_reason,
    is_concurrency_refusal,
    is_transient,
    translate,
)

USERS_PAGE_SIZE = 500
GROUPS_PAGE_SIZE = 200
MEMBERS_PAGE_SIZE = 200
# Calls in one batch request. Google takes up to 1,000; a smaller batch answers sooner and a
# batch that fails whole costs fewer calls to send again.
BATCH_SIZE = 50
# Batches sent at once when there are few calls: the concurrency a run starts with.
BATCHES_AT_ONCE = 4


class QuotaWindow:
    """At most `limit` calls in any `window` seconds: Google's per-minute quota as a strict
    sliding window. Never more than the quota, not even at the start (a token bucket that
    starts full lets a second minute's worth through in the first one).

    A call holds its place from when it is sent until `window` seconds after its answer came
    back: Google counted it somewhere in between, on its own clock, so measuring from the send
    alone let a burst of calls meet the previous minute's still counted at Google's end.
    """

    def __init__(self, limit: int, window: float = 60.0):
        self.limit = max(1, limit)
        self.window = window
        # one [time] per call: the send time while in flight, then the answer's time
        self.sent: collections.deque[list[float]] = collections.deque()
        self.lock = threading.Lock()

    def take(self) -> list[float]:
        """Wait for room; returns the call's place, to hand back to `done`."""
        while True:
            with self.lock:
                now = time.monotonic()
                while self.sent and self.sent[0][0] <= now - self.window:
                    self.sent.popleft()
                if len(self.sent) < self.limit:
                    place = [now]
                    self.sent.append(place)
                    return place
                wait = self.sent[0][0] + self.window - now
            time.sleep(max(wait, 0.001))

    def done(self, place: list[float]) -> None:
        with self.lock:
            place[0] = time.monotonic()


class Concurrency:
    """How many calls of one account may be in flight at once.

    Google answers too many concurrent requests with 403 quotaExceeded and does not say how
    many it allows. So the limit starts low (`start`) and grows by one after `probe_after`
    successes in a row up to `maximum` (GOOGLE_FETCH_WORKERS) — a slow start, so that finding
    Google's limit costs a refusal or two instead of a burst of them. On a refusal it drops by a
    quarter (at most once per `cooldown` seconds: the calls already in flight fail together)
    and grows back only after `recover_after` successes, never past the level that was refused
    for `remember_seconds`: a steady sync does not keep knocking on the same limit.
    """

    def __init__(
        self,
        maximum: int,
        *,
        start: int = 4,
        probe_after: int = 20,
        recover_after: int = 200,
        cooldown: float = 1.0,
        remember_seconds: float = 600.0,
    ):
        self.maximum = max(1, maximum)
        self.limit = min(self.maximum, max(1, start))
        self.probe_after = probe_after
        self.recover_after = recover_after
        self.cooldown = cooldown
        self.remember_seconds = remember_seconds
        self.in_flight = 0
        self.successes = 0
        self.refused_at_level: int | None = None
        self.refused_when = 0.0
        self.condition = threading.Condition()

    def acquire(self) -> None:
        with self.condition:
            while self.in_flight >= self.limit:
                self.condition.wait()
            self.in_flight += 1

    def release(self, *, refused: bool = False) -> None:
        with self.condition:
            self.in_flight -= 1
            now = time.monotonic()
            if refused:
                self.successes = 0
                if now - self.refused_when >= self.cooldown:
                    self.refused_at_level = self.limit
                    self.refused_when = now
                    self.limit = max(1, self.limit * 3 // 4)
            else:
                self.successes += 1
                ceiling = self.maximum
                if (
                    self.refused_at_level is not None
                    and now - self.refused_when < self.remember_seconds
                ):
                    ceiling = min(ceiling, self.refused_at_level - 1)
                needed = self.recover_after if self.refused_at_level else self.probe_after
                if self.successes >= needed and self.limit < ceiling:
                    self.limit += 1
                    self.successes = 0
            self.condition.notify_all()


@dataclass
class AccountLimits:
    """The per-account limits one process keeps for a sync account (Google's quota is per
    project and user)."""

    window: QuotaWindow
    concurrency: Concurrency


_limits: dict[str, AccountLimits] = {}
_limits_lock = threading.Lock()


def account_limits(subject: str) -> AccountLimits:
    """One set per sync account and process, rebuilt when the settings change."""
    per_minute = int(settings.GOOGLE_QUOTA_PER_MINUTE * 0.95)
    with _limits_lock:
        limits = _limits.get(subject)
        if (
            limits is None
            or limits.window.limit != per_minute
            or limits.concurrency.maximum != settings.GOOGLE_FETCH_WORKERS
        ):
            window = QuotaWindow(per_minute)
            if limits is not None:
                # calls already made this minute still count against Google's quota
                window.sent = limits.window.sent
            limits = _limits[subject] = AccountLimits(
                window, Concurrency(settings.GOOGLE_FETCH_WORKERS)
            )
        return limits


@dataclass
class RetryPolicy:
    attempts: int
    base_seconds: float
    cap_seconds: float

    @classmethod
    def default(cls) -> "RetryPolicy":
        return cls(
            attempts=settings.GOOGLE_RETRY_ATTEMPTS,
            base_seconds=settings.GOOGLE_RETRY_BASE_SECONDS,
            cap_seconds=settings.GOOGLE_RETRY_CAP_SECONDS,
        )

    def delay(self, attempt: int) -> float:
        # "Full jitter": uniformly random up to the capped exponential step.
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


@dataclass(frozen=True)
class DirectoryCheck:
    customer_id: str
    domain: str


class GoogleClient:
    """Directory + Reports for one sync account. Safe to share between threads."""

    def __init__(self, *, subject: str, retry: RetryPolicy | None = None):
        self.subject = subject
        self.retry = retry or RetryPolicy.default()
        self.credentials = credentials_for(subject=subject)
        self.limits = account_limits(subject)
        self._local = threading.local()
        self._calls = 0
        self._calls_lock = threading.Lock()
        # Failed calls by Google's reason ("quotaExceeded", "503", "timeout" ...), retried or not.
        self.failures: collections.Counter = collections.Counter()

    # --- plumbing ----------------------------------------------------------------------------
    @property
    def calls(self) -> int:
        return self._calls

    def _service(self, api: str, version: str):
        services = getattr(self._local, "services", None)
        if services is None:
            services = self._local.services = {}
        key = (api, version)
        if key not in services:
            # Own Http per thread: httplib2 connections are not thread-safe. Credentials are
            # shared (google-auth refreshes them under its own lock).
            http = google_auth_httplib2.AuthorizedHttp(
                self.credentials,
                http=httplib2.Http(timeout=settings.GOOGLE_HTTP_TIMEOUT_SECONDS),
            )
            services[key] = build(
                api,
                version,
                http=http,
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": settings.GOOGLE_API_ENDPOINT},
            )
        return services[key]

    def directory(self):
        return self._service("admin", "directory_v1")

    def reports(self):
        return self._service("admin", "reports_v1")

    def execute(self, make_request: Callable) -> dict:
        """Run one API request within the account's quota window and concurrency, with
        retries; raise only typed errors."""
        attempt = 0
        while True:
            place = self.limits.window.take()
            self.limits.concurrency.acquire()
            with self._calls_lock:
                self._calls += 1
            refused = False
            try:
                return make_request().execute(num_retries=0)
            # Everything Google or the network raises is classified in errors.translate.
            except Exception as exc:
                if isinstance(exc, IntegrationError):
                    raise
                with self._calls_lock:
                    self.failures[failure_reason(exc)] += 1
                refused = is_concurrency_refusal(exc)
                if not is_transient(exc):
                    raise translate(exc) from exc
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise _gave_up(exc) from exc
            finally:
                self.limits.window.done(place)
                self.limits.concurrency.release(refused=refused)
            time.sleep(self.retry.delay(attempt))

    def execute_batch(self, make_requests: dict[str, Callable]) -> dict[str, object]:
        """Run calls as one Google batch request (one HTTP round trip; at most BATCH_SIZE calls)
        and return each id's answer — or, for a call Google refused for good, its typed error
        (GoogleNotFound, ...), for the caller to judge.

        Google counts every call of a batch against the quota, so each takes its own place in
        the quota window; the batch holds one concurrency slot, being one request. A call
        answered with a transient refusal (429, 5xx, a rate reason) goes again in a smaller
        batch after the backoff, with the same attempts as a call alone; a batch that fails as
        a whole (a timeout, the endpoint's own 5xx) goes again whole."""
        pending = dict(make_requests)
        answers: dict[str, object] = {}
        attempt = 0
        while pending:
            replies = self._batch_send(pending)
            again = {}
            for request_id, (response, exception) in replies.items():
                if exception is None:
                    answers[request_id] = response
                elif is_transient(exception):
                    again[request_id] = pending[request_id]
                    last_refusal = exception
                else:
                    answers[request_id] = translate(exception)
            pending = again
            if pending:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise _gave_up(last_refusal) from last_refusal
                time.sleep(self.retry.delay(attempt))
        return answers

    def _batch_send(self, pending: dict[str, Callable]) -> dict[str, tuple]:
        """Send one batch: (response, exception) for every id — a batch that failed whole
        gives every id its exception; one that cannot be sent again raises its typed error."""
        replies: dict[str, tuple] = {}

        def keep(request_id, response, exception):
            replies[request_id] = (response, exception)

        batch = BatchHttpRequest(
            callback=keep, batch_uri=settings.GOOGLE_API_ENDPOINT.rstrip("/") + "/batch"
        )
        for request_id, make_request in pending.items():
            batch.add(make_request(), request_id=request_id)
        places = [self.limits.window.take() for _ in pending]
        self.limits.concurrency.acquire()
        with self._calls_lock:
            self._calls += len(pending)
        refused = False
        try:
            batch.execute()  # on the first call's Http: this thread's, authorized
        # Everything Google or the network raises is classified in errors.translate.
        except Exception as exc:
            if isinstance(exc, IntegrationError):
                raise
            refused = is_concurrency_refusal(exc)
            if not is_transient(exc):
                raise translate(exc) from exc
            replies = dict.fromkeys(pending, (None, exc))
        finally:
            for place in places:
                self.limits.window.done(place)
            # a call of the batch refused as one too many in flight counts as the batch's
            refused = refused or any(
                is_concurrency_refusal(exception)
                for _response, exception in replies.values()
                if exception is not None
            )
            self.limits.concurrency.release(refused=refused)
        with self._calls_lock:
            for _response, exception in replies.values():
                if exception is not None:
                    self.failures[failure_reason(exception)] += 1
        return replies

    # A listing whose page token expired starts again from its first page, this many times.
    LISTING_RESTARTS = 3

    def _pages(
        self,
        make_request: Callable[[str | None], object],
        key: str,
        *,
        on_restart: Callable[[], None] | None = None,
    ) -> Iterator[list]:
        """The pages of one listing. When Google no longer accepts a page token (tokens expire
        on long listings), the listing starts again from its first page — `on_restart` lets a
        caller that collects pages drop what it has; a sync that plans pages as they come sees
        some people twice, which changes nothing (every step is idempotent) — and nothing is
        concluded from the part that was cut off."""
        token, restarts = None, 0
        while True:
            try:
                response = self.execute(lambda token=token: make_request(token))
            except GooglePageTokenExpired:
                if token is None or restarts >= self.LISTING_RESTARTS:
                    raise
                restarts += 1
                token = None
                if on_restart is not None:
                    on_restart()
                continue
            yield response.get(key, [])
            token = response.get("nextPageToken")
            if not token:
                return

    # --- Directory ---------------------------------------------------------------------------
    def users_pages(
        self, *, query: str = "", show_deleted: bool = False, page_size: int = USERS_PAGE_SIZE
    ) -> Iterator[list[dict]]:
        """Pages of users; `show_deleted` lists only deleted users, as Google does."""

        def request(token):
            params = {
                "customer": "my_customer",
                "maxResults": page_size,
                "orderBy": "email",
                "projection": "full",
                "pageToken": token,
            }
            if query:
                params["query"] = query
            if show_deleted:
                params["showDeleted"] = "true"
            return self.directory().users().list(**params)

        return self._pages(request, "users")

    def read_ahead(self, pages: Iterator, *, depth: int) -> "Prefetch":
        """Iterate `pages` on a thread of its own, up to `depth` items ahead of the consumer,
        so that fetching goes on while the consumer writes what it has. An error in the
        fetching thread is raised to the consumer. Use it as a context manager."""
        return Prefetch(
            lambda source, emit: [emit(item) for item in source], [pages], workers=1, buffer=depth
        )

    def groups_pages(self) -> Iterator[list[dict]]:
        def request(token):
            return self.directory().groups().list(
                customer="my_customer", maxResults=GROUPS_PAGE_SIZE, pageToken=token
            )

        return self._pages(request, "groups")

    def members(self, group_key: str) -> list[dict]:
        """Every direct member of a group (all pages)."""

        def request(token):
            return self.directory().members().list(
                groupKey=group_key, maxResults=MEMBERS_PAGE_SIZE, pageToken=token
            )

        members: list[dict] = []
        for page in self._pages(request, "members", on_restart=members.clear):
            members.extend(page)
        return members

    def members_concurrent(
        self, group_keys: Iterable[str], *, workers: int | None = None, buffer: int | None = None
    ) -> "Prefetch":
        """(group key, its direct members) for each group, fetched concurrently (a Prefetch:
        use it as a context manager).

        A group deleted between the groups listing and its members listing yields None.
        `buffer`: how many member lists may wait for the consumer (default two per worker) — a
        consumer that applies them in batches passes more, so fetching goes on while it writes.
        """

        def fetch(group_key, emit):
            try:
                emit((group_key, self.members(group_key)))
            except GoogleNotFound:
                emit((group_key, None))

        return Prefetch(
            fetch, list(group_keys), workers=workers or settings.GOOGLE_FETCH_WORKERS, buffer=buffer
        )

    def groups_get_concurrent(self, group_keys: Iterable[str]) -> "Prefetch":
        """(key, the group resource, its direct members) for each key, fetched concurrently (a
        Prefetch: use it as a context manager). The resource is None when Google does not know
        the group; the members are None when it was deleted between the two reads."""

        def fetch(group_key, emit):
            resource = self.group_get(group_key)
            if resource is None:
                emit((group_key, None, None))
                return
            try:
                emit((group_key, resource, self.members(resource["id"])))
            except GoogleNotFound:
                emit((group_key, resource, None))

        return Prefetch(fetch, list(group_keys), workers=settings.GOOGLE_FETCH_WORKERS)

    def users_get_concurrent(self, user_keys: Iterable[str]) -> "Prefetch":
        """(key, the user resource — None if Google does not know it) for each key (once
        each), fetched as Google batch requests of up to BATCH_SIZE calls, several batches at
        once (a Prefetch: use it as a context manager).

        A few keys are spread over BATCHES_AT_ONCE batches rather than sent as one: a batch's
        calls are answered one after another, so one batch of 40 would wait for all 40."""
        keys = list(dict.fromkeys(user_keys))
        size = min(BATCH_SIZE, max(1, math.ceil(len(keys) / BATCHES_AT_ONCE)))
        chunks = [keys[i : i + size] for i in range(0, len(keys), size)]

        def fetch(chunk, emit):
            if len(chunk) == 1:  # one call gains nothing from a batch's envelope
                emit((chunk[0], self.user_get(chunk[0])))
                return
            answers = self.execute_batch(
                {
                    key: lambda key=key: (
                        self.directory().users().get(userKey=key, projection="full")
                    )
                    for key in chunk
                }
            )
            for key in chunk:
                answer = answers[key]
                if isinstance(answer, GoogleNotFound):
                    emit((key, None))
                elif isinstance(answer, Exception):
                    raise answer
                else:
                    emit((key, answer))

        return Prefetch(fetch, chunks, workers=settings.GOOGLE_FETCH_WORKERS)

    def user_get(self, user_key: str) -> dict | None:
        try:
            return self.execute(
                lambda: self.directory().users().get(userKey=user_key, projection="full")
            )
        except GoogleNotFound:
            return None

    def group_get(self, group_key: str) -> dict | None:
        try:
            return self.execute(lambda: self.directory().groups().get(groupKey=group_key))
        except GoogleNotFound:
            return None

    def org_units(self) -> list[dict]:
        response = self.execute(
            lambda: self.directory().orgunits().list(customerId="my_customer", type="all")
        )
        return response.get("organizationUnits", [])

    def customer(self) -> dict:
        return self.execute(lambda: self.directory().customers().get(customerKey="my_customer"))

    # --- Reports -----------------------------------------------------------------------------
    def admin_activities_pages(self, *, start_time: str | None = None) -> Iterator[list[dict]]:
        def request(token):
            params = {"userKey": "all", "applicationName": "admin", "pageToken": token}
            if start_time:
                params["startTime"] = start_time
            return self.reports().activities().list(**params)

        return self._pages(request, "items")

    # --- push channels (real-time sync) ------------------------------------------------------
    def users_watch(
        self, *, event: str, channel_id: str, token: str, address: str, ttl_seconds: int
    ) -> dict:
        """Open a users.watch channel for one user event; Google answers with the channel's
        resourceId and the expiration it granted (it caps the TTL asked for)."""
        body = _channel_body(channel_id, token, address, ttl_seconds)
        return self.execute(
            lambda: self.directory()
            .users()
            .watch(customer="my_customer", event=event, projection="full", body=body)
        )

    def activities_watch(
        self, *, channel_id: str, token: str, address: str, ttl_seconds: int
    ) -> dict:
        """Open a push channel on the admin activities (the feed's events as they happen)."""
        body = _channel_body(channel_id, token, address, ttl_seconds)
        return self.execute(
            lambda: self.reports()
            .activities()
            .watch(userKey="all", applicationName="admin", body=body)
        )

    def channel_stop(self, *, api: str, channel_id: str, resource_id: str) -> bool:
        """Stop a channel (`api`: "directory" or "reports"); False when Google no longer knows
        it (stopped or expired already)."""
        service = self.directory() if api == "directory" else self.reports()
        try:
            self.execute(
                lambda: service.channels().stop(body={"id": channel_id, "resourceId": resource_id})
            )
        except GoogleNotFound:
            return False
        return True

    # --- the finalize check ------------------------------------------------------------------
    def check(self) -> DirectoryCheck:
        """A token, then one small answer from every API Hearth uses (the wizard's Step 2)."""
        try:
            self.credentials.refresh(google_auth_httplib2.Request(httplib2.Http(timeout=30)))
        except Exception as exc:
            raise translate(exc) from exc
        self.execute(
            lambda: self.directory().users().list(customer="my_customer", maxResults=1)
        )
        self.execute(
            lambda: self.directory().groups().list(customer="my_customer", maxResults=1)
        )
        self.org_units()
        customer = self.customer()
        self.execute(
            lambda: self.reports()
            .activities()
            .list(userKey="all", applicationName="admin", maxResults=1)
        )
        return DirectoryCheck(
            customer_id=str(customer.get("id", "")),
            domain=str(customer.get("customerDomain", "")).lower(),
        )



def _channel_body(channel_id: str, token: str, address: str, ttl_seconds: int) -> dict:
    """A watch request's channel: Google posts to `address` with our `token`."""
    return {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": token,
        "params": {"ttl": str(ttl_seconds)},
    }


class Prefetch:
    """Items produced by `work(item, emit)` for each of `items` on `workers` threads, handed to
    the consumer through a bounded queue (`buffer` items at most wait for it).

        with client.members_concurrent(keys) as lists:
            for key, members in lists:
                ...

    Leaving the `with` block — at the end, on `break`, or by an exception in the consumer —
    stops the workers and joins every thread before going on, so a failed run never leaves a
    thread blocked on a full queue (which kept `sync_directory` from exiting). A failure in any
    worker stops the others and is raised to the consumer after they stopped, as a typed
    error: a partial listing never looks complete.
    """

    _DONE = object()

    def __init__(self, work: Callable, items: list, *, workers: int, buffer: int | None = None):
        self.work = work
        self.items = items
        self.workers = max(1, workers)
        self.results: queue.Queue = queue.Queue(maxsize=buffer or self.workers * 2)
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        self.driver: threading.Thread | None = None

    def __enter__(self) -> "Prefetch":
        self.driver = threading.Thread(target=self._drive, name="google-driver", daemon=True)
        self.driver.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __iter__(self) -> Iterator:
        if self.driver is None:
            raise RuntimeError("Iterate a Prefetch inside its `with` block.")
        while True:
            item = self.results.get()
            if item is self._DONE:
                break
            yield item
        self.driver.join()
        if self.errors:
            error = self.errors[0]
            raise error if isinstance(error, IntegrationError) else translate(error)

    def close(self) -> None:
        """Stop the workers and wait for every thread (idempotent)."""
        if self.driver is None:
            return
        self.stopping.set()
        # Drain so that workers blocked on a full queue see the stop and finish.
        while self.driver.is_alive():
            with contextlib.suppress(queue.Empty):
                self.results.get(timeout=0.1)
        self.driver.join()

    def _emit(self, item) -> None:
        while not self.stopping.is_set():
            try:
                self.results.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _run(self, item) -> None:
        try:
            if not self.stopping.is_set():
                self.work(item, self._emit)
        except _Stopped:
            pass
        # Anything raised in a worker is handed to the consumer thread, which re-raises it.
        except BaseException as exc:  # noqa: BLE001
            self.errors.append(exc)
            self.stopping.set()

    def _drive(self) -> None:
        # Each worker takes the next item when it is free. Submitting every item up front made
        # a future per item — 15,000 groups' member lists, memory growing with the directory.
        items = iter(self.items)
        taking = threading.Lock()

        def work_through() -> None:
            while not self.stopping.is_set():
                with taking:
                    item = next(items, self._DONE)
                if item is self._DONE:
                    return
                self._run(item)

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="google") as pool:
            for _ in range(min(self.workers, len(self.items))):
                pool.submit(work_through)
        # The consumer may be gone (closed): never block on a full queue here.
        while True:
            try:
                self.results.put(self._DONE, timeout=0.1)
                return
            except queue.Full:
                if self.stopping.is_set():
                    return


class _Stopped(Exception):
    pass


def _gave_up(exc: BaseException) -> GoogleTemporaryError:
    """The error of a call still refused for a moment after its last attempt: temporary,
    whatever Google's reason, so the run is tried again later."""
    error = translate(exc)
    return error if isinstance(error, GoogleTemporaryError) else GoogleTemporaryError(str(error))


def google_client(*, subject: str) -> GoogleClient:
    return GoogleClient(subject=subject)


def directory_check(*, subject: str) -> DirectoryCheck:
    """The finalize check for `subject`; raises the typed errors of integrations.errors."""
    client = GoogleClient(
        subject=subject,
        retry=RetryPolicy(
            attempts=3,
            base_seconds=settings.GOOGLE_RETRY_BASE_SECONDS,
            cap_seconds=4.0,
        ),
    )
    return client.check()
