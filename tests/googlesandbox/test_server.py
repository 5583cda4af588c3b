"""The sandbox's HTTP server: answers without a stall of its own."""

import socket

import pytest
from django.core.servers import basehttp

from googlesandbox import server
from googlesandbox.server import LiveSandbox, NoDelay, NoDelayThreadedWSGIServer, NoDelayWSGIServer


@pytest.mark.parametrize("server_class", [NoDelayWSGIServer, NoDelayThreadedWSGIServer])
def test_every_connection_the_server_accepts_has_nagle_off(server_class):
    """With Nagle's algorithm on, a kept-alive connection's response body waited for the
    client's delayed acknowledgement of its headers: 50 ms a users.get for 9 ms of work."""
    httpd = server_class(("127.0.0.1", 0), basehttp.WSGIRequestHandler)
    client = socket.create_connection(httpd.server_address)
    try:
        accepted, _address = httpd.get_request()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        accepted.close()
    finally:
        client.close()
        httpd.server_close()


def test_the_command_and_the_tests_serve_with_those_servers(monkeypatch):
    used = {}

    def run(*args, server_cls, **kwargs):
        used["server_cls"] = server_cls

    monkeypatch.setattr(basehttp, "run", run)
    monkeypatch.setattr(server, "Chores", lambda **kwargs: _Idle())
    monkeypatch.setattr(server, "database_pool_enable", lambda: None)  # this process's settings
    server.serve(host="127.0.0.1", port=0, drain_push=False, logins_every=0)
    assert issubclass(used["server_cls"], NoDelay)

    live = LiveSandbox(drain_push=False)
    try:
        assert isinstance(live.httpd, NoDelay)
    finally:
        live.stop()


class _Idle:
    def start(self):
        pass

    def stop(self):
        pass
