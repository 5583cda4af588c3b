"""A simulated day: Hearth's periodic work driven in this process on a travelled clock, against
the sandbox server (its own process) on the same clock — the cost scenario's engine
(bench/scenarios/cost.py).

Flow of `SimDay.run(end, events)`:
1. One clock for everyone. This process runs under time-machine (`travel(start, tick=True)`):
   Hearth's `timezone.now()` is the simulated time and moves on with real time between jumps.
   The sandbox server reads its clock as real time plus the offset stored in the database
   (googlesandbox/clock.py); every jump writes that offset (simulated - real), and the server,
   started through bench/sandbox_server.py, reads it fresh on every call — so a Reports
   `activities.list`, a channel's expiry and a page token see the same time Hearth does. In this
   process the sandbox's own clock is the travelled time itself (its cached offset pinned to 0),
   so the changes the scenario makes through googlesandbox.operations are stamped with the
   simulated time, as Google would stamp them. Access tokens stay on real time on both sides,
   as the sandbox intends: google-auth's clock (`google.auth._helpers.utcnow`) is the real one.
2. The beat: every entry of config.periodic_tasks.PERIODIC_TASKS is sent at each multiple of
   its period after `start` — every tick celery beat would make, none skipped, even where
   nothing is due. A tick made late (a long sync held the loop) is made when the loop is back,
   in order; the clock never goes back.
3. The worker: `Task.apply_async` (delay, on-commit sends) records the task in a queue with its
   eta (countdown or eta on the simulated clock) instead of sending it to Redis; the loop runs
   every due task in eta order, in this process, as a worker would (a task that raises is
   counted and the loop goes on, as a worker logs and goes on). `runner` may take a task over
   (the baseline's fetch-only passes, bench/scenarios/cost.py says when and why).
4. Push: Hearth's web application is served from a thread of this process on a port of its
   own, and SITE_URL points at it, so the channels Hearth opens post there. Notifications the
   scenario's changes cause are delivered by this process (googlesandbox.push.push_drain_once)
   right after the change, so each reaches Hearth at the simulated moment of its change; those
   the server queues itself (a channel's first `sync` message) its drainer thread delivers.
5. Events (the scenario's changes) run at their simulated times; the loop jumps from one due
   thing (a beat tick, a task's eta, an event) to the next, never past `end`.

The sandbox's request log counts the calls (bench/env.py `SandboxLog`): it is the server's own
record, whatever part of Hearth made them.
"""

import contextlib
import heapq
import itertools
import threading
import time
import traceback
import types
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from unittest import mock

from .env import CouldNotMeasure, free_port

PUSH_DRAIN_ROUNDS = 2_000  # of up to 50 notifications each


def _time_machine():
    """time-machine is a benchmark extra (requirements/bench.txt, which `make bench` installs);
    the harness imports without it, and only a simulated day needs it."""
    try:
        import time_machine
    except ImportError as exc:
        raise CouldNotMeasure(
            "the simulated day needs time-machine: pip install -r requirements/bench.txt"
        ) from exc
    return time_machine


def real_now() -> datetime:
    try:
        import time_machine
    except ImportError:
        return datetime.now(UTC)  # nothing can be travelling
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(UTC)
    return datetime.now(UTC)


def _real_utcnow() -> datetime:
    # google-auth compares naive UTC datetimes
    return real_now().replace(tzinfo=None)


@dataclass(order=True)
class Queued:
    eta: datetime
    seq: int
    name: str = field(compare=False)
    args: tuple = field(compare=False)
    kwargs: dict = field(compare=False)


@dataclass(frozen=True)
class BeatEntry:
    task: str
    every: timedelta


def beat_entries() -> list[BeatEntry]:
    from config.periodic_tasks import PERIODIC_TASKS

    return [BeatEntry(p.task, timedelta(seconds=p.every_seconds)) for p in PERIODIC_TASKS]


class SimDay:
    """Use as a context manager; `run(end, events)` drives the day (see the module's flow)."""

    def __init__(
        self,
        *,
        start: datetime,
        settings: dict | None = None,
        runner: Callable[[str, tuple, dict], bool] | None = None,
        port: int | None = None,
        beat_skip: tuple[str, ...] = (),
    ):
        self.start = start
        self.settings = settings or {}
        self.runner = runner
        self.port = port
        self.queue: list[Queued] = []
        self.seq = itertools.count()
        self.lock = threading.Lock()
        self.tasks_run: Counter = Counter()
        self.task_errors: Counter = Counter()
        self.error_samples: list[str] = []
        self.beat_ticks: Counter = Counter()
        self.pushes_delivered = 0
        self.steps = 0
        self.site_url = ""
        self._stack = contextlib.ExitStack()
        self._entries = [e for e in beat_entries() if e.task not in beat_skip]
        self._next_beat = {e.task: start + e.every for e in self._entries}

    # --- setup ---------------------------------------------------------------------------------

    def __enter__(self) -> "SimDay":
        from celery.app.task import Task
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
        from django.core.wsgi import get_wsgi_application
        from django.test.utils import override_settings
        from google.auth import _helpers

        from googlesandbox import clock

        stack = self._stack
        try:
            self.traveller = stack.enter_context(_time_machine().travel(self.start, tick=True))
            self._offset_write()
            stack.enter_context(mock.patch.object(_helpers, "utcnow", _real_utcnow))
            stack.enter_context(mock.patch.object(clock, "CACHE_SECONDS", float("inf")))
            clock._cached[:] = [0.0, time.monotonic()]
            stack.callback(clock._cached.__setitem__, slice(None), [0.0, -1e9])

            sim = self

            def apply_async(task, args=None, kwargs=None, countdown=None, eta=None, **_options):
                sim.enqueue(task.name, tuple(args or ()), dict(kwargs or {}), countdown, eta)
                return types.SimpleNamespace(id=str(uuid.uuid4()))

            stack.enter_context(mock.patch.object(Task, "apply_async", apply_async))

            class Quiet(WSGIRequestHandler):
                def log_message(self, *args):
                    pass

            port = self.port or free_port()
            server = ThreadedWSGIServer(("127.0.0.1", port), Quiet, allow_reuse_address=True)
            server.set_app(get_wsgi_application())
            thread = threading.Thread(target=server.serve_forever, name="bench-web", daemon=True)
            thread.start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            self.site_url = f"http://127.0.0.1:{port}"
            stack.enter_context(override_settings(SITE_URL=self.site_url, **self.settings))
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._stack.close()
        from googlesandbox.models import SandboxClock

        SandboxClock.objects.update_or_create(pk=1, defaults={"offset_seconds": 0.0})

    # --- the clock -----------------------------------------------------------------------------

    @staticmethod
    def now() -> datetime:
        from django.utils import timezone

        return timezone.now()

    def _offset_write(self) -> None:
        from googlesandbox.models import SandboxClock

        offset = (self.now() - real_now()).total_seconds()
        SandboxClock.objects.update_or_create(pk=1, defaults={"offset_seconds": offset})

    def jump(self, when: datetime) -> None:
        """Move the clock ahead to `when` (never back: a late loop just goes on from now)."""
        if when > self.now():
            self.traveller.move_to(when)
            self._offset_write()

    # --- the worker ----------------------------------------------------------------------------

    def enqueue(self, name: str, args: tuple, kwargs: dict, countdown=None, eta=None) -> None:
        when = self.now()
        if eta is not None:
            when = eta if eta.tzinfo else eta.replace(tzinfo=UTC)
        elif countdown:
            when = when + timedelta(seconds=float(countdown))
        with self.lock:
            heapq.heappush(self.queue, Queued(when, next(self.seq), name, args, kwargs))

    def _due(self) -> Queued | None:
        with self.lock:
            if self.queue and self.queue[0].eta <= self.now():
                return heapq.heappop(self.queue)
        return None

    def work(self) -> None:
        """Run every due task (those they enqueue too, when due), delivering the notifications
        each one caused before the next."""
        from celery.exceptions import Retry

        from config.celery_app import app

        while (item := self._due()) is not None:
            self.tasks_run[item.name] += 1
            try:
                if self.runner is None or not self.runner(item.name, item.args, item.kwargs):
                    app.tasks[item.name](*item.args, **item.kwargs)
            except Retry:
                pass  # its retry is already queued (apply_async with a countdown)
            except Exception:  # noqa: BLE001 — a worker logs a failed task and goes on
                self.task_errors[item.name] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(traceback.format_exc()[-2000:])
            self.push_drain()

    def push_drain(self) -> None:
        from googlesandbox.push import push_drain_once

        for _ in range(PUSH_DRAIN_ROUNDS):
            handled = push_drain_once()
            self.pushes_delivered += handled
            if not handled:
                return

    # --- the day -------------------------------------------------------------------------------

    def run(self, end: datetime, events: list[tuple[datetime, Callable[[], None]]]) -> None:
        """Drive beat ticks, tasks and `events` (sorted by time) up to `end` inclusive."""
        from config.celery_app import app

        app.loader.import_default_modules()
        index = 0
        while True:
            candidates = list(self._next_beat.values())
            with self.lock:
                if self.queue:
                    candidates.append(self.queue[0].eta)
            if index < len(events):
                candidates.append(events[index][0])
            upcoming = min(candidates)
            if upcoming > end:
                break
            self.jump(upcoming)
            self.steps += 1
            now = self.now()
            made = False
            while index < len(events) and events[index][0] <= now:
                events[index][1]()
                index += 1
                made = True
            if made:
                self.push_drain()
            for entry in self._entries:
                due = self._next_beat[entry.task]
                while due <= now and due <= end:
                    self.enqueue(entry.task, (), {}, eta=due)
                    self.beat_ticks[entry.task] += 1
                    due += entry.every
                self._next_beat[entry.task] = due
            self.work()
        self.jump(end)

    def counters_reset(self) -> None:
        """Start counting afresh (after a warm-up)."""
        self.tasks_run.clear()
        self.task_errors.clear()
        self.beat_ticks.clear()
        self.pushes_delivered = 0
        self.steps = 0

    def summary(self) -> dict:
        return {
            "steps": self.steps,
            "beat_ticks": dict(self.beat_ticks),
            "tasks_run": dict(self.tasks_run),
            "task_errors": dict(self.task_errors),
            "task_error_samples": self.error_samples,
            "pushes_delivered": self.pushes_delivered,
            "tasks_left_queued": len(self.queue),
        }
