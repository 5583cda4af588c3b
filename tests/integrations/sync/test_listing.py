"""How a sync lists the users: adaptively on a first sync, split by prefix once it is known large.

Each test counts the calls the sandbox answered for the users listing, so they fail if a first
sync reads a small directory more than once or a large one only sequentially.
"""

import pytest

from integrations.google.client import USER_PREFIXES, USERS_PAGE_SIZE
from integrations.models import SyncRun
from integrations.sync import engine
from usermanagement.models import User

D = "acme.example"


def _users_list_calls(sandbox_requests: list[str]) -> int:
    return sum(1 for path in sandbox_requests if path.startswith("/admin/directory/v1/users?"))


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


def test_a_first_sync_of_a_small_directory_reads_one_page_of_users(connected, users_calls):
    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    # the active listing (one page, no next page) and the deleted listing
    assert _users_list_calls(users_calls) == 2
    assert User.objects.filter(organization=connected.organization).count() == 12


def test_a_first_sync_of_a_large_directory_splits_after_the_first_page(
    connected, users_calls
):
    users = USERS_PAGE_SIZE * 2 + 300
    connected.sandbox.seed(D, users=users, groups=2, members_per_group=3, admins=1)

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    # first page, then one stream per prefix (some of several pages), then the deleted listing
    assert _users_list_calls(users_calls) >= 1 + len(USER_PREFIXES) + 1
    people = User.objects.filter(organization=connected.organization)
    assert people.count() == users
    # the first page's people came again in their prefix's stream: created once, never updated
    assert run.counts["create"] + run.counts.get("adopt", 0) == users
    assert "update" not in run.counts


def test_a_resync_of_a_directory_known_to_be_large_is_split_and_writes_nothing(
    connected, users_calls, monkeypatch
):
    monkeypatch.setattr(engine, "SPLIT_USERS_ABOVE", 10)
    connected.sync()
    users_calls.clear()

    run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    # no adaptive first page: one call per prefix stream, then the deleted listing
    assert _users_list_calls(users_calls) == len(USER_PREFIXES) + 1
    assert run.counts == {}


def test_the_fetch_only_floor_makes_the_calls_of_the_first_sync(connected, users_calls):
    connected.sandbox.seed(D, users=USERS_PAGE_SIZE + 50, groups=2, members_per_group=3)
    run = connected.sync()
    sync_calls = _users_list_calls(users_calls)
    users_calls.clear()

    fetched = engine.sync_fetch(organization=connected.organization, as_first_sync=True)

    assert fetched["listing"] == engine.Listing.ADAPTIVE
    assert fetched["counts"]["users"] == USERS_PAGE_SIZE + 50
    assert _users_list_calls(users_calls) == sync_calls
    assert fetched["api_calls"] == run.api_calls
