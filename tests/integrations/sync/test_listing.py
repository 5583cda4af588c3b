"""How a sync lists the users: Google's plain listing, always — never a search.

A `query` reads Google's search index, which lags the directory and matches aliases: a listing
built from searches can miss new hires or drop people, so it must never decide who exists. Each
test records the users.list calls the Hearth client sends.
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.google.client import USERS_PAGE_SIZE
from integrations.models import SyncRun
from integrations.sync import engine
from usermanagement.models import User

D = "acme.example"


def _users_list_calls(sandbox_requests: list[str]) -> int:
    return sum(1 for path in sandbox_requests if path.startswith("/admin/directory/v1/users?"))


def _queries(sandbox_requests: list[str]) -> list[str]:
    return [
        parse_qs(urlsplit(path).query).get("query", [""])[0]
        for path in sandbox_requests
        if path.startswith("/admin/directory/v1/users?")
    ]


@pytest.fixture
def users_calls(monkeypatch):
    """Paths of every users.list call the Hearth client sends during the test."""
    import googleapiclient.http

    paths: list[str] = []
    original = googleapiclient.http.HttpRequest.execute

    def counting_execute(request, *args, **kwargs):
        if request.method == "GET" and "/admin/directory/v1/users?" in request.uri:
            paths.append(request.uri[request.uri.index("/admin/") :])
        return original(request, *args, **kwargs)

    monkeypatch.setattr(googleapiclient.http.HttpRequest, "execute", counting_execute)
    return paths


def test_a_small_directory_is_read_in_one_page_and_the_deleted_listing(connected, users_calls):
    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert _users_list_calls(users_calls) == 2
    assert _queries(users_calls) == ["", ""]
    assert User.objects.filter(organization=connected.organization).count() == 12


def test_a_large_directory_is_read_page_by_page_without_a_search(connected, users_calls):
    users = USERS_PAGE_SIZE * 2 + 300
    connected.sandbox.seed(D, users=users, groups=2, members_per_group=3, admins=1)

    first = connected.sync()
    again = connected.sync()

    assert first.status == again.status == SyncRun.Status.SUCCEEDED
    # three pages of active users and the deleted listing, twice; no query, ever
    assert _users_list_calls(users_calls) == 2 * (3 + 1)
    assert set(_queries(users_calls)) == {""}
    assert first.counts["create"] + first.counts.get("adopt", 0) == users
    assert again.counts == {}


def test_the_fetch_only_floor_makes_the_calls_of_a_sync(connected, users_calls):
    connected.sandbox.seed(D, users=USERS_PAGE_SIZE + 50, groups=2, members_per_group=3)
    run = connected.sync()
    sync_calls = _users_list_calls(users_calls)
    users_calls.clear()

    fetched = engine.sync_fetch(organization=connected.organization)

    assert fetched["counts"]["users"] == USERS_PAGE_SIZE + 50
    assert _users_list_calls(users_calls) == sync_calls
    assert fetched["api_calls"] == run.api_calls
