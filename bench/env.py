"""The benchmark's own world: PostgreSQL databases, the sandbox server, workers, beat, gunicorn.

Flow: `BenchEnv.prepare()` exports the settings environment (DATABASE_URL of hearth_bench, the
Redis DB 9 broker, SANDBOX_PORT, a service-account key of its own under .local/bench/) into
this process, creates and migrates the database, and keeps a copy of the migrated, empty
database as a template (`<name>_base`). Each scenario starts in a *world* of its own:
`world_reset()` recreates the database from that template in a second and restarts the sandbox
server, so no scenario measures on tables another one filled. Inside a world,
`snapshot_take()` / `snapshot_restore()` copy the whole database (PostgreSQL's CREATE DATABASE
... TEMPLATE) so that a *first* sync can be measured again and again from the same state.

`sandbox_start()` launches `manage.py sandbox serve` as a separate process (like Google, the
emulator never shares the measured process's CPU or memory accounting), with its sign-in
trickle off (the directory must not change under a re-sync) and its request log on (every API
call is a log line with its status). `workers_start`, `beat_start` and `gunicorn_start` launch
Celery workers (`--pool solo`: exactly n processes doing the work), celery beat (the real
scheduler) and the web server as in production. `close()` stops every process it started, by
pid, and drops the databases (`--keep-db` keeps the last world).

Every child gets the same environment (`self.environ`), so the syncing subprocess, the workers
and the sandbox all read the same settings module (bench.settings) and database.
"""

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hearth_bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/9"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class CouldNotMeasure(RuntimeError):
    """The harness could not set up or run a measurement (never raised for a slow figure)."""


def free_port() -> int:
    """A free local port: from BENCH_PORTS ("8300-8399") when set — a harness sharing the
    machine with other work keeps to the ports it was given — else any the kernel hands out."""
    wanted = os.environ.get("BENCH_PORTS", "")
    if wanted:
        low, _, high = wanted.partition("-")
        ports = list(range(int(low), int(high or low) + 1))
        # from a random place in the range: two harnesses sharing it (each picks a port a while
        # before its server binds it) rarely pick the same
        start = random.randrange(len(ports))
        ports = ports[start:] + ports[:start]
        for _round in range(2):
            for port in ports:
                if port in _ports_given:
                    continue
                with socket.socket() as sock:
                    try:
                        sock.bind(("127.0.0.1", port))
                    except OSError:
                        continue
                _ports_given.add(port)
                return port
            _ports_given.clear()  # every port was handed out once: those free now are free
        raise CouldNotMeasure(f"no free port in BENCH_PORTS={wanted}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ports handed out by this process (a port given to a server not yet listening is still free)
_ports_given: set[int] = set()


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise CouldNotMeasure(f"process {process.args} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise CouldNotMeasure(f"nothing answered on port {port} within {timeout:.0f}s")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far, all its threads (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the command name: state is field 3, utime 14 and stime 15 (1-based, man proc)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


# `"GET /admin/directory/v1/users?... HTTP/1.1" 200 12345` — Django's server log line
REQUEST_LINE = re.compile(r'"(?:GET|POST|PUT|PATCH|DELETE) (/admin/\S*) HTTP/[\d.]+" (\d{3}) ')


class SandboxLog:
    """The sandbox server's request log, read from where the last reading stopped: API calls
    (the Directory and Reports paths) by HTTP status, as the server answered them."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark_settled(self, *, quiet: float = 0.2, timeout: float = 3.0) -> Counter:
        """As `since_mark`, once the log stopped growing: the server writes a request's line
        just after the response, a moment after the client already has it."""
        deadline = time.monotonic() + timeout
        size = -1
        while time.monotonic() < deadline:
            current = self.path.stat().st_size if self.path.exists() else 0
            if current == size:
                break
            size = current
            time.sleep(quiet)
        return self.since_mark()

    def since_mark(self) -> Counter:
        counts: Counter = Counter()
        for _path, status in self.requests_since_mark():
            counts[status] += 1
        return counts

    def requests_since_mark(self) -> list[tuple[str, str]]:
        """(path with its query, HTTP status) of every API call since the mark, in order."""
        if not self.path.exists():
            return []
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            lines = fh.read().decode(errors="replace").splitlines()
        return [m.group(1, 2) for m in map(REQUEST_LINE.search, lines) if m]


def call_kind(path: str) -> str:
    """The API method a sandbox request path names ("users.list", "members.list", ...)."""
    path = path.split("?", 1)[0]
    if path.startswith("/admin/reports/v1/activity/"):
        return "activities.watch" if path.endswith("/watch") else "activities.list"
    if path.endswith("/channels/stop"):
        return "channels.stop"
    parts = path.removeprefix("/admin/directory/v1/").split("/")
    if parts[0] == "users":
        if len(parts) == 1:
            return "users.list"
        return "users.watch" if parts[1] == "watch" else "users.get"
    if parts[0] == "groups":
        if len(parts) == 1:
            return "groups.list"
        if len(parts) == 2:
            return "groups.get"
        if parts[2] == "hasMember":
            return "members.hasMember"
        return "members.list" if len(parts) == 3 else "members.get"
    if parts[0] == "customers":
        return "customers.get"
    return parts[0] or "other"


class BenchEnv:
    def __init__(
        self,
        *,
        database_url: str | None = None,
        broker_url: str | None = None,
        keep_db: bool = False,
        profile: bool = False,
    ):
        self.profile = profile  # every measured process under py-spy and tracemalloc
        self.database_url = database_url or os.environ.get(
            "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL
        )
        self.broker_url = broker_url or os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)
        self.database_name = urlsplit(self.database_url).path.lstrip("/")
        if not self.database_name.startswith("hearth_bench"):
            # the harness drops this database: refuse anything that is not plainly its own
            raise CouldNotMeasure(f"refusing to drop {self.database_name!r}: not hearth_bench*")
        self.base_name = f"{self.database_name}_base"
        self.snapshot_name = f"{self.database_name}_snapshot"
        self.keep_db = keep_db
        self.sandbox_port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        # per database: two harnesses (make bench, the smoke test) never share files
        self.home = LOCAL / self.database_name
        self.home.mkdir(parents=True, exist_ok=True)
        self.key_file = self.home / "google-service-account.json"
        self.logs = self.home / "logs"
        self.processes: list[subprocess.Popen] = []
        self.sandbox: subprocess.Popen | None = None
        self.sandbox_log = SandboxLog(self.logs / "sandbox.log")
        self.world = ""
        self.environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            # as production requires (config/settings/production.py): one cache that every
            # process shares — the real-time queue's once-per-organization guards live there
            "CACHE_URL": self.broker_url,
            "SANDBOX_PORT": str(self.sandbox_port),
            "GOOGLE_SANDBOX_ENABLED": "true",
            "GOOGLE_TOKEN_URI": f"{self.sandbox_url}/token",
            "GOOGLE_API_ENDPOINT": f"{self.sandbox_url}/",
            "GOOGLE_OIDC_URL": self.sandbox_url,
            "GOOGLE_MARKETPLACE_URL": f"{self.sandbox_url}/marketplace/hearth",
            "GOOGLE_SERVICE_ACCOUNT_KEY_FILE": str(self.key_file),
            # the sandbox's background sign-ins would change the directory under a re-sync
            "SANDBOX_LOGIN_TRICKLE_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
        }
        for stale in ("DJANGO_DEBUG", "PGAPPNAME"):
            self.environ.pop(stale, None)

    # --- setup -------------------------------------------------------------------------------

    def prepare(self) -> None:
        os.environ.update(self.environ)
        if self.logs.exists():
            shutil.rmtree(self.logs)
        self.logs.mkdir(parents=True)
        for name in (self.snapshot_name, self.base_name):
            self._drop(name)
        self.database_recreate()
        self.redis_flush()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        self._close_connections()
        # the migrated, empty database: every world starts as a copy of it
        self._create(self.base_name, template=self.database_name)
        # the key names the token URI of this run's sandbox port, so it is made fresh each run
        self.key_file.unlink(missing_ok=True)
        from googlesandbox import keys

        keys.service_account_key_generate(self.key_file, token_uri=f"{self.sandbox_url}/token")

    def _admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(_with_database(self.database_url, "postgres"), autocommit=True)

    def _terminate(self, conn: psycopg.Connection, name: str) -> None:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )

    def _drop(self, name: str) -> None:
        try:
            with self._admin_connection() as conn:
                self._terminate(conn, name)
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except psycopg.Error as exc:
            raise CouldNotMeasure(f"cannot drop database {name}: {exc}") from exc

    def _create(self, name: str, *, template: str | None = None) -> None:
        try:
            with self._admin_connection() as conn:
                if template:
                    self._terminate(conn, template)
                    # FILE_COPY: a checkpoint and a file copy, seconds even for gigabytes
                    # (the default WAL_LOG strategy writes every block to the WAL)
                    conn.execute(
                        f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'
                    )
                else:
                    conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise CouldNotMeasure(f"cannot create database {name}: {exc}") from exc

    def database_recreate(self) -> None:
        self._drop(self.database_name)
        self._create(self.database_name)

    def _close_connections(self) -> None:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()

    def redis_flush(self) -> None:
        import redis

        try:
            redis.Redis.from_url(self.broker_url).flushdb()
        except redis.RedisError as exc:
            raise CouldNotMeasure(f"cannot reach the broker {self.broker_url}: {exc}") from exc

    def checkpoint(self) -> None:
        """Write out every dirty buffer now, so that a timed pass never pays for the writes of
        the pass before it (PostgreSQL would otherwise flush them during it)."""
        with self._admin_connection() as conn:
            conn.execute("CHECKPOINT")

    # --- worlds and snapshots ----------------------------------------------------------------

    def world_reset(self, name: str) -> None:
        """A fresh database (the migrated template), a fresh broker DB, the sandbox restarted."""
        self.stop_all()
        self._close_connections()
        self._drop(self.database_name)
        self._create(self.database_name, template=self.base_name)
        self.redis_flush()
        self.world = name
        self.sandbox_start()

    def vacuum(self) -> None:
        """VACUUM (ANALYZE) the world's database, as autovacuum does to a production database
        after a bulk load. This machine's PostgreSQL runs with autovacuum off (its CI
        configuration, conf.d/90-ci.conf), and a world's database is a fresh copy of a template
        besides: without this, every pass after a first sync ran on tables whose visibility map
        was never set and on the planner's defaults — the People page's count of 100,000
        people read every row of the table (42 ms) instead of its (organization, status) index
        (9 ms)."""
        self._close_connections()
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
        except psycopg.Error as exc:
            raise CouldNotMeasure(f"cannot vacuum {self.database_name}: {exc}") from exc

    def snapshot_take(self) -> None:
        """Copy the whole database (both Hearth's and the sandbox's tables) as it is now,
        vacuumed (`vacuum`)."""
        self.stop_all()
        self.vacuum()
        self._drop(self.snapshot_name)
        self._create(self.snapshot_name, template=self.database_name)
        self.sandbox_start()

    def snapshot_restore(self, *, warm: str | None = None) -> None:
        """Back to the last snapshot: every process stopped, the database copied back, the
        sandbox restarted (its in-memory quota windows and fault draws start afresh) and, with
        `warm` (a domain), warmed up with one call of each kind."""
        self.stop_all()
        self._close_connections()
        self._drop(self.database_name)
        self._create(self.database_name, template=self.snapshot_name)
        self.redis_flush()
        self.sandbox_start()
        if warm:
            from .directory import sandbox_warm

            sandbox_warm(self.sandbox_url, warm)

    # --- processes ---------------------------------------------------------------------------

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, str(ROOT / "manage.py"), *args]

    def spawn(self, name: str, argv: list[str], *, extra_env: dict | None = None):
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 — lives as long as the process
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.environ, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = self.logs / f"{name}.log"
        self.processes.append(process)
        return process

    def sandbox_start(self, *, fresh_clock: bool = False) -> None:
        """`fresh_clock`: the server reads the sandbox clock's offset on every call instead of
        once a second (bench/sandbox_server.py) — for a scenario that travels in time in steps
        shorter than a second of real time."""
        if self.sandbox is not None:
            return
        argv = ["sandbox", "serve", "--port", str(self.sandbox_port), "--logins-every", "0"]
        self.sandbox = self.spawn(
            "sandbox",
            [sys.executable, "-m", "bench.sandbox_server", *argv]
            if fresh_clock
            else self.manage(*argv),
            # INFO: Django's server logs every request with its status (the API call count);
            # a fatal signal leaves a traceback in the log
            extra_env={"LOG_LEVEL": "INFO", "PYTHONFAULTHANDLER": "1"},
        )
        wait_for_port(self.sandbox_port, timeout=60, process=self.sandbox)
        self.sandbox_log.mark()

    def sandbox_check(self) -> None:
        """Raise if the sandbox server is gone (a pass against a dead sandbox measures nothing)."""
        if self.sandbox is not None and self.sandbox.poll() is not None:
            code = self.sandbox.returncode
            self.processes.remove(self.sandbox)
            self.sandbox = None
            raise CouldNotMeasure(
                f"the sandbox server exited with {code}"
                + (f" (killed by signal {-code})" if code < 0 else "")
                + f"; see {self.logs / 'sandbox.log'}"
            )

    def sandbox_cpu_seconds(self) -> float:
        return process_cpu_seconds(self.sandbox.pid) if self.sandbox else 0.0

    def sandbox_requests(self) -> int:
        """API requests the sandbox has answered since the log was last marked."""
        return sum(self.sandbox_log.since_mark().values())

    def workers_start(self, count: int) -> list[subprocess.Popen]:
        workers = [
            self.spawn(
                f"worker{index}",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config.celery_app",
                    "worker",
                    "--pool",
                    "solo",
                    "--hostname",
                    f"bench{index}@%h",
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
            )
            for index in range(1, count + 1)
        ]
        self._wait_for_log(workers, "ready.", what="Celery workers")
        return workers

    def beat_start(self) -> subprocess.Popen:
        """The real celery beat with the schedule `setup_periodic_tasks` installs."""
        done = subprocess.run(
            self.manage("setup_periodic_tasks"),
            cwd=ROOT,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise CouldNotMeasure(f"setup_periodic_tasks failed: {done.stdout}{done.stderr}")
        beat = self.spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.home / "celerybeat-schedule"),
            ],
        )
        self._wait_for_log([beat], "beat: Starting", what="celery beat")
        return beat

    def gunicorn_start(self, *, workers: int, port: int | None = None) -> subprocess.Popen:
        """The web server as the Procfile runs it; its base URL is `.url`. `port`: one chosen
        beforehand (the processes started before it need its URL as SITE_URL)."""
        port = port or free_port()
        web = self.spawn(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
            ],
        )
        wait_for_port(port, timeout=60, process=web)
        web.url = f"http://127.0.0.1:{port}"
        return web

    def _wait_for_log(self, processes, text: str, *, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for process in processes:
            while text not in process.log_path.read_text(errors="replace"):
                if process.poll() is not None:
                    raise CouldNotMeasure(f"{what} exited with {process.returncode}")
                if time.monotonic() > deadline:
                    raise CouldNotMeasure(f"{what} did not start within {timeout:.0f}s")
                time.sleep(0.2)

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if process in self.processes:
            self.processes.remove(process)
        if process is self.sandbox:
            self.sandbox = None

    def stop_all(self) -> None:
        for process in list(reversed(self.processes)):
            self.stop(process)

    def close(self) -> None:
        self.stop_all()
        self._close_connections()
        with contextlib.suppress(CouldNotMeasure):
            self._drop(self.snapshot_name)
            self._drop(self.base_name)
            if not self.keep_db:
                self._drop(self.database_name)
