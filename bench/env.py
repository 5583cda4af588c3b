"""The benchmark's own world: a fresh PostgreSQL database, the sandbox server, Celery workers.

Flow: `BenchEnv.prepare()` picks a free port for the sandbox, exports the settings environment
(DATABASE_URL of hearth_bench, the Redis DB 9 broker, SANDBOX_PORT and a service-account key of
its own under .local/bench/) into this process, drops and recreates the database, flushes its
Redis DB, sets Django up and migrates. `sandbox_start()` launches `manage.py sandbox serve` as
a separate process (like Google, the emulator never shares the measured process's CPU time
accounting or memory) and waits until it answers. `workers_start(n)` launches n single-process
Celery workers (`--pool solo`: exactly n processes doing the work). `close()` stops every
process it started, by pid, and drops the database unless asked to keep it.

Every child gets the same environment (`self.environ`), so the syncing subprocess, the workers
and the sandbox all read the same settings module (bench.settings) and database.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hearth_bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/9"


class CouldNotMeasure(RuntimeError):
    """The harness could not set up or run a measurement (never raised for a slow figure)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class BenchEnv:
    def __init__(
        self,
        *,
        database_url: str | None = None,
        broker_url: str | None = None,
        keep_db: bool = False,
    ):
        self.database_url = database_url or os.environ.get(
            "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL
        )
        self.broker_url = broker_url or os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)
        self.database_name = urlsplit(self.database_url).path.lstrip("/")
        if not self.database_name.startswith("hearth_bench"):
            # the harness drops this database: refuse anything that is not plainly its own
            raise CouldNotMeasure(f"refusing to drop {self.database_name!r}: not hearth_bench*")
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
        self.environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "SANDBOX_PORT": str(self.sandbox_port),
            "GOOGLE_SANDBOX_ENABLED": "true",
            "GOOGLE_TOKEN_URI": f"{self.sandbox_url}/token",
            "GOOGLE_API_ENDPOINT": f"{self.sandbox_url}/",
            "GOOGLE_OIDC_URL": self.sandbox_url,
            "GOOGLE_MARKETPLACE_URL": f"{self.sandbox_url}/marketplace/hearth",
            "GOOGLE_SERVICE_ACCOUNT_KEY_FILE": str(self.key_file),
            "PYTHONUNBUFFERED": "1",
        }
        for stale in ("DJANGO_DEBUG",):
            self.environ.pop(stale, None)

    # --- setup -------------------------------------------------------------------------------

    def prepare(self) -> None:
        os.environ.update(self.environ)
        if self.logs.exists():
            shutil.rmtree(self.logs)
        self.logs.mkdir(parents=True)
        self.database_recreate()
        self.redis_flush()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        # the key names the token URI of this run's sandbox port, so it is made fresh each run
        self.key_file.unlink(missing_ok=True)
        from googlesandbox import keys

        keys.service_account_key_generate(self.key_file, token_uri=f"{self.sandbox_url}/token")

    def _admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(_with_database(self.database_url, "postgres"), autocommit=True)

    def database_recreate(self) -> None:
        try:
            with self._admin_connection() as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.database_name],
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}"')
                conn.execute(f'CREATE DATABASE "{self.database_name}"')
        except psycopg.Error as exc:
            raise CouldNotMeasure(f"cannot recreate database {self.database_name}: {exc}") from exc

    def database_drop(self) -> None:
        from django.db import connections

        connections.close_all()
        with self._admin_connection() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database_name],
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}"')

    def redis_flush(self) -> None:
        import redis

        try:
            redis.Redis.from_url(self.broker_url).flushdb()
        except redis.RedisError as exc:
            raise CouldNotMeasure(f"cannot reach the broker {self.broker_url}: {exc}") from exc

    # --- processes ---------------------------------------------------------------------------

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, str(ROOT / "manage.py"), *args]

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 — lives as long as the process
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = self.logs / f"{name}.log"
        self.processes.append(process)
        return process

    def sandbox_start(self) -> None:
        if self.sandbox is not None:
            return
        self.sandbox = self.spawn(
            "sandbox", self.manage("sandbox", "serve", "--port", str(self.sandbox_port))
        )
        wait_for_port(self.sandbox_port, timeout=60, process=self.sandbox)

    def sandbox_requests(self) -> int:
        """API requests the sandbox server has answered so far (its request log lines)."""
        if self.sandbox is None:
            return 0
        text = self.sandbox.log_path.read_text(errors="replace")
        return sum(
            1 for line in text.splitlines() if '"GET /admin/' in line or '"POST /admin/' in line
        )

    def workers_start(self, count: int) -> list[subprocess.Popen]:
        workers = []
        for index in range(1, count + 1):
            workers.append(
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
            )
        deadline = time.monotonic() + 60
        for worker in workers:
            while "ready." not in worker.log_path.read_text(errors="replace"):
                if worker.poll() is not None:
                    raise CouldNotMeasure(f"worker exited with {worker.returncode}")
                if time.monotonic() > deadline:
                    raise CouldNotMeasure("Celery workers did not become ready within 60s")
                time.sleep(0.2)
        return workers

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if process in self.processes:
            self.processes.remove(process)
        if process is self.sandbox:
            self.sandbox = None

    def close(self) -> None:
        for process in list(reversed(self.processes)):
            self.stop(process)
        if not self.keep_db:
            with contextlib.suppress(psycopg.Error):
                self.database_drop()
