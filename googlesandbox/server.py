"""The sandbox as its own server process, like the real Google.

Hearth and the sandbox share one settings module and one database, so the sandbox is told
apart per request by the WSGI environ: `sandbox_wsgi_application()` wraps Django's WSGIHandler
and marks every request with SANDBOX_ENVIRON_FLAG; `SandboxRoutingMiddleware` (first in
MIDDLEWARE) then routes it to googlesandbox.urls instead of Hearth's config.urls. The
handler itself also sets `request.urlconf` before the middleware chain runs, so routing holds
even where the middleware is missing (e.g. a settings module that forgot it).

`serve` runs a threaded server plus the push drainer thread (googlesandbox/push.py), with its
PostgreSQL connections pooled (see `database_pool_enable`). The
sandbox never uses Django sessions: browsers share cookies across ports of 127.0.0.1, and a
sandbox session would sign the Hearth admin out; its pages keep the emulated Google sign-in in
their own signed cookie (`gsandbox_account`).
"""

import socket
import threading

from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer

SANDBOX_ENVIRON_FLAG = "hearth.google_sandbox"


SANDBOX_URLCONF = "googlesandbox.urls"


class SandboxWSGIHandler(WSGIHandler):
    def get_response(self, request):
        # Routing here, before the middleware chain, also covers a settings module whose
        # MIDDLEWARE lacks SandboxRoutingMiddleware (CommonMiddleware's APPEND_SLASH check
        # already needs the right URLconf).
        request.urlconf = SANDBOX_URLCONF
        request.is_google_sandbox = True
        return super().get_response(request)


def sandbox_wsgi_application():
    handler = SandboxWSGIHandler()

    def application(environ, start_response):
        environ[SANDBOX_ENVIRON_FLAG] = True
        return handler(environ, start_response)

    return application


# Enough for Hearth's fetch threads, the Celery workers and the push drainer at once; a request
# beyond it waits for a free connection rather than failing.
DATABASE_POOL_MAX_SIZE = 16


def database_pool_enable() -> None:
    """Pool this process's PostgreSQL connections (Django's psycopg pool).

    The server starts a thread per request, and Django closes a thread's connection when its
    request ends, so every API call paid for a fresh PostgreSQL connection: a fifth of the time
    of a users.list page of 500 (py-spy, 100,000 users). With the pool, closing hands the
    connection back. Call before the first query; SQLite (`make run`) has nothing to pool.
    """
    from django.db import connections

    for alias in connections:
        database = connections.settings[alias]
        if database["ENGINE"] == "django.db.backends.postgresql":
            database["CONN_MAX_AGE"] = 0  # the pool keeps them; Django refuses both at once
            database.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 2,
                "max_size": DATABASE_POOL_MAX_SIZE,
                "timeout": 30,
            }


class Chores(threading.Thread):
    """The server's background life: a trickle of sign-ins and the purge of deleted users.

    Every `logins_every` seconds (0: no trickle) one random live person of each domain signs
    in — their lastLoginTime and etag move, as at Google where people sign in all day. Once a
    minute deleted users past their domain's retention are purged.
    """

    PURGE_EVERY = 60.0

    def __init__(self, *, logins_every: float):
        super().__init__(name="gsandbox-chores", daemon=True)
        self.logins_every = logins_every
        self._stop_event = threading.Event()

    def run(self) -> None:
        import logging
        import random

        from django.db import close_old_connections, connection

        from . import operations
        from .models import DirUser, Domain

        logger = logging.getLogger(__name__)
        rng = random.Random()
        tick = self.logins_every or self.PURGE_EVERY
        since_purge = self.PURGE_EVERY
        try:
            while not self._stop_event.wait(tick):
                try:
                    close_old_connections()
                    if self.logins_every:
                        for domain in Domain.objects.all():
                            ids = DirUser.objects.filter(
                                domain=domain, deleted_at__isnull=True, suspended=False
                            ).values_list("google_id", flat=True)
                            count = ids.count()
                            if count:
                                google_id = ids[rng.randrange(count)]
                                operations.user_record_login(email=google_id)
                    since_purge += tick
                    if since_purge >= self.PURGE_EVERY:
                        since_purge = 0.0
                        operations.users_purge()
                except Exception:  # the chores must outlive any one failure
                    logger.exception("sandbox chores failed")
        finally:
            connection.close()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.join(timeout)


class NoDelay:
    """A server mixin: Nagle's algorithm off on every connection it accepts.

    Django's server handler writes a response's headers and its body in separate sends; on a
    kept-alive connection the kernel held the body until the client acknowledged the headers,
    and clients delay that acknowledgement by up to 40 ms: every API call took 40 ms more than
    the sandbox worked on it (users.get: 50 ms for 9 ms of the server's CPU). Google answers
    without such a stall; its latency is the sandbox's explicit, settable one."""

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class NoDelayWSGIServer(NoDelay, WSGIServer):
    pass


class NoDelayThreadedWSGIServer(NoDelay, ThreadedWSGIServer):
    pass


def serve(
    *,
    host: str,
    port: int,
    on_bind=None,
    drain_push: bool = True,
    logins_every: float | None = None,
) -> None:
    """Serve the sandbox until interrupted (blocking), draining push deliveries and running
    its chores (sign-in trickle every `logins_every` s, default SANDBOX_LOGIN_TRICKLE_SECONDS;
    0 turns it off) alongside."""
    from django.core.servers.basehttp import run

    from .conf import setting
    from .push import PushDrainer

    database_pool_enable()
    drainer = PushDrainer() if drain_push else None
    if drainer:
        drainer.start()
    if logins_every is None:
        logins_every = setting("SANDBOX_LOGIN_TRICKLE_SECONDS")
    chores = Chores(logins_every=logins_every)
    chores.start()
    try:
        run(
            host,
            port,
            sandbox_wsgi_application(),
            threading=True,
            on_bind=on_bind,
            server_cls=NoDelayWSGIServer,
        )
    finally:
        chores.stop()
        if drainer:
            drainer.stop()


class LiveSandbox:
    """A sandbox server on a background thread (tests, benchmarks): `.url`, `.stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, drain_push: bool = True):
        from django.core.servers.basehttp import WSGIRequestHandler

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        self.httpd = NoDelayThreadedWSGIServer(
            (host, port), QuietHandler, allow_reuse_address=False
        )
        self.httpd.set_app(sandbox_wsgi_application())
        self.host, self.port = host, self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        self.drainer = None
        if drain_push:
            from .push import PushDrainer

            self.drainer = PushDrainer(interval=0.05)
            self.drainer.start()

    def stop(self) -> None:
        if self.drainer:
            self.drainer.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)
