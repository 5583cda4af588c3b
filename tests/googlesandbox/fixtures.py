"""Pytest plugin: the Google sandbox for every test that needs Google.

Register once for the whole suite in tests/conftest.py:
    pytest_plugins = ["tests.googlesandbox.fixtures"]

- `google_service_account_key` (session, autouse): a fresh Google-format service-account key in a
  temporary directory; settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE points at it for the session.
- `google_sandbox`: the sandbox served on a free port by a live server thread (with its push
  drainer), settings GOOGLE_TOKEN_URI / GOOGLE_API_ENDPOINT / GOOGLE_OIDC_URL /
  GOOGLE_MARKETPLACE_URL pointed at it; needs `transactional_db` (the server's threads use
  their own database connections). Yields a `SandboxHandle`.
- `push_receiver`: a tiny HTTP server recording the push notifications it receives.
- `sandbox_test_settings` (autouse): Google's behaviours on, at test-friendly values
  (TEST_SETTINGS below), and the sandbox clock at real time; tests that need time to pass use
  `google_sandbox.clock_travel(seconds)` rather than sleeping.
"""

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.test import override_settings

from googlesandbox import clock, operations
from googlesandbox.faults import quota_reset
from googlesandbox.keys import service_account_key_generate
from googlesandbox.models import Domain, PushOutbox
from googlesandbox.server import LiveSandbox

# Google's behaviours as every test meets them (make run's defaults: googlesandbox/conf.py)
TEST_SETTINGS = {
    "SANDBOX_SEARCH_LAG_SECONDS": 3.0,
    "SANDBOX_ALIAS_MATCHING": True,
    "SANDBOX_QPM": 2400,
    "SANDBOX_CONCURRENT_LIMIT": 10,
    "SANDBOX_INSTALL_DELAY_SECONDS": 1.0,
    "SANDBOX_CHANNEL_TTL_MAX_SECONDS": 21600,
    "SANDBOX_PAGE_TOKEN_TTL_SECONDS": 3600,
    "SANDBOX_REPORTS_LAG_SECONDS": 2.0,
    "SANDBOX_LOGIN_PUSH_UPDATE": True,
    "SANDBOX_RETENTION_DAYS": 20.0,
    "SANDBOX_LOGIN_TRICKLE_SECONDS": 0.0,
}


@pytest.fixture(autouse=True)
def sandbox_test_settings():
    clock._cached[:] = [0.0, -1e9]  # re-read the (fresh) offset on first use
    with override_settings(**TEST_SETTINGS):
        yield
    clock._cached[:] = [0.0, -1e9]


@pytest.fixture(scope="session", autouse=True)
def google_service_account_key(tmp_path_factory):
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    service_account_key_generate(path, token_uri="http://127.0.0.1:9/token")
    with override_settings(GOOGLE_SERVICE_ACCOUNT_KEY_FILE=str(path)):
        yield path


class SandboxHandle:
    """The running sandbox of one test, with shortcuts over googlesandbox.operations."""

    ops = operations

    def __init__(self, url: str, key_file):
        self.url = url
        self.token_uri = f"{url}/token"
        self.api_endpoint = f"{url}/"
        self.key_file = key_file

    def domain(self, name: str = "acme.example") -> Domain:
        return operations.domain_get_or_create(name)

    def seed(self, name: str = "acme.example", *, users=20, groups=3, members_per_group=5,
             admins=1, seed=0, install=True, secondary_domains=0,
             domain_aliases=0) -> operations.SeedResult:
        """A seeded domain; with `install`, installed long ago (in effect at once)."""
        return operations.seed(
            name, users=users, groups=groups, members_per_group=members_per_group,
            admins=admins, seed=seed, install=install, secondary_domains=secondary_domains,
            domain_aliases=domain_aliases,
        )

    def install(self, name: str = "acme.example", scopes=None, delay_seconds=None):
        """A fresh Marketplace install: in effect after the domain's install delay (1 s in
        tests) unless `delay_seconds` says otherwise."""
        return operations.install(domain=name, scopes=scopes, delay_seconds=delay_seconds)

    def clock_travel(self, seconds: float):
        """Let `seconds` pass on the sandbox clock (search lag, install delay, expiries...)."""
        return operations.clock_travel(seconds=seconds)

    def logins(self, name: str = "acme.example", *, percent: float, seed=None):
        return operations.logins(name, percent, seed=seed)

    def credentials(self, subject: str, scopes=None):
        from google.oauth2 import service_account

        info = {**json.loads(self.key_file.read_text()), "token_uri": self.token_uri}
        return service_account.Credentials.from_service_account_info(
            info, scopes=list(scopes or operations.hearth_scopes()), subject=subject
        )

    def _build(self, api: str, version: str, subject: str, scopes=None):
        from googleapiclient.discovery import build

        return build(
            api,
            version,
            credentials=self.credentials(subject, scopes),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.api_endpoint},
        )

    def directory(self, subject: str, scopes=None):
        return self._build("admin", "directory_v1", subject, scopes)

    def reports(self, subject: str, scopes=None):
        return self._build("admin", "reports_v1", subject, scopes)

    def wait_push_idle(self, timeout: float = 10.0) -> None:
        """Wait until the drainer has handled every due push delivery."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not PushOutbox.objects.filter(
                delivered_at__isnull=True, abandoned_at__isnull=True, attempts=0
            ).exists():
                return
            time.sleep(0.05)
        raise AssertionError("push outbox not drained in time")


def _providers_pointing_at(url: str) -> dict:
    providers = copy.deepcopy(getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}))
    for app in providers.get("openid_connect", {}).get("APPS", []):
        app.setdefault("settings", {})["server_url"] = url
    return providers


@pytest.fixture
def google_sandbox(transactional_db, google_service_account_key):
    server = LiveSandbox()
    quota_reset()
    operations.clock_reset()
    overrides = override_settings(
        GOOGLE_TOKEN_URI=f"{server.url}/token",
        GOOGLE_API_ENDPOINT=f"{server.url}/",
        GOOGLE_OIDC_URL=server.url,
        GOOGLE_MARKETPLACE_URL=f"{server.url}/marketplace/hearth",
        SOCIALACCOUNT_PROVIDERS=_providers_pointing_at(server.url),
    )
    overrides.enable()
    try:
        yield SandboxHandle(server.url, google_service_account_key)
    finally:
        overrides.disable()
        server.stop()
        operations.clock_reset()
        quota_reset()


@dataclass
class ReceivedPush:
    headers: dict
    body: bytes

    @property
    def state(self) -> str:
        return self.headers.get("X-Goog-Resource-State", "")

    def json(self):
        return json.loads(self.body) if self.body else None


@dataclass
class PushReceiver:
    url: str
    received: list = field(default_factory=list)
    # status codes to answer, in order; 200 once exhausted
    answers: list = field(default_factory=list)
    # how long each answer takes; and the most requests that were ever waiting for one at once
    delay_seconds: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedPush]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return self.received
            time.sleep(0.02)
        raise AssertionError(f"expected {count} pushes, got {len(self.received)}")


@pytest.fixture
def push_receiver():
    state = PushReceiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
            time.sleep(state.delay_seconds)
            with lock:
                state.in_flight -= 1
                status = state.answers.pop(0) if state.answers else 200
                if status < 300:
                    state.received.append(ReceivedPush(dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/push"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
