"""Google's strictness in the sandbox, each behaviour through the real client over HTTP.

Time passes on the sandbox clock (`google_sandbox.clock_travel`), never by sleeping.
"""

import json
import threading
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from googlesandbox import operations
from googlesandbox.models import DirUser

ADMIN = "admin@acme.example"


def _error(exc: HttpError) -> dict:
    return json.loads(exc.content)["error"]


def _emails(users, query: str, **params) -> list[str]:
    page = users.list(customer="my_customer", query=query, maxResults=500, **params).execute()
    return sorted(u["primaryEmail"] for u in page.get("users", []))


# ---------------------------------------------------------------------------------------------
# search index lag and alias matching


def test_search_lags_the_directory_while_the_plain_listing_is_exact(google_sandbox):
    google_sandbox.seed(users=10)
    ops = google_sandbox.ops
    ops.user_add(email="old.hand@acme.example")
    ops.user_add(email="leaver@acme.example")
    google_sandbox.clock_travel(10)
    users = google_sandbox.directory(ADMIN).users()
    assert _emails(users, "email:old.hand*") == ["old.hand@acme.example"]

    ops.user_add(email="new.hire@acme.example")
    ops.user_rename(email="old.hand@acme.example", new_email="renamed@acme.example")
    ops.user_delete(email="leaver@acme.example")
    ops.user_update(email=ADMIN, org_unit_path="/Sales")

    # the plain listing is the directory as it is now
    plain = {u["primaryEmail"] for u in users.list(customer="my_customer").execute()["users"]}
    assert {"new.hire@acme.example", "renamed@acme.example"} <= plain
    assert "leaver@acme.example" not in plain and "old.hand@acme.example" not in plain
    # the search index does not know yet: the new hire is missing, the others are as they were
    assert _emails(users, "email:new.hire*") == []
    assert _emails(users, "email:old.hand*") == ["old.hand@acme.example"]
    assert _emails(users, "email:renamed*") == []
    assert _emails(users, "email:leaver*") == ["leaver@acme.example"]
    assert ADMIN not in _emails(users, "orgUnitPath=/Sales")
    assert _emails(users, "email:leaver*", showDeleted=True) == []

    google_sandbox.clock_travel(4)  # past the 3 s lag of tests
    assert _emails(users, "email:new.hire*") == ["new.hire@acme.example"]
    # the old address is an alias now, and `email:` searches match aliases
    assert _emails(users, "email:old.hand*") == ["renamed@acme.example"]
    assert _emails(users, "email:renamed*") == ["renamed@acme.example"]
    assert _emails(users, "email:leaver*") == []
    assert _emails(users, "email:leaver*", showDeleted=True) == ["leaver@acme.example"]
    assert ADMIN in _emails(users, "orgUnitPath=/Sales")


def test_search_pages_merge_lagging_and_current_users_in_order(google_sandbox):
    google_sandbox.seed(users=30)
    ops = google_sandbox.ops
    for name in ("aa", "ab", "ac"):
        ops.user_add(email=f"{name}@acme.example")
    google_sandbox.clock_travel(10)
    ops.user_update(email="ab@acme.example", given_name="Changed")  # now in the lag window
    users = google_sandbox.directory(ADMIN).users()
    seen, token = [], None
    while True:
        page = users.list(
            customer="my_customer", query="email:a*", maxResults=2, pageToken=token
        ).execute()
        seen += [u["primaryEmail"] for u in page.get("users", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert {"aa@acme.example", "ab@acme.example", "ac@acme.example"} <= set(seen)


def test_email_search_matches_aliases_as_google_does(google_sandbox):
    google_sandbox.seed(users=5)
    google_sandbox.ops.user_add(email="ann@acme.example")
    google_sandbox.ops.user_rename(email="ann@acme.example", new_email="zoe.lee@acme.example")
    google_sandbox.clock_travel(10)
    users = google_sandbox.directory(ADMIN).users()
    # a prefix split of the listing meets the person in two streams: primary and alias
    assert _emails(users, "email:ann*") == ["zoe.lee@acme.example"]
    assert _emails(users, "email:zoe*") == ["zoe.lee@acme.example"]
    assert _emails(users, "email:ann@acme.example") == ["zoe.lee@acme.example"]
    google_sandbox.ops.faults_set(domain="acme.example", alias_matching=False)
    assert _emails(users, "email:ann*") == []
    assert _emails(users, "email:ann@acme.example") == []


# ---------------------------------------------------------------------------------------------
# quota and concurrency

RATE_LIMIT_BODY = {
    "error": {
        "code": 403,
        "message": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per "
        "user' of service 'admin.googleapis.com'.",
        "errors": [
            {
                "message": "Quota exceeded for quota metric 'Queries' and limit 'Queries per "
                "minute per user' of service 'admin.googleapis.com'.",
                "domain": "usageLimits",
                "reason": "userRateLimitExceeded",
            }
        ],
        "status": "PERMISSION_DENIED",
    }
}
CONCURRENT_BODY = {
    "error": {
        "code": 403,
        "message": "Quota exceeded: the limit of concurrent requests for this operation has "
        "been reached.",
        "errors": [
            {
                "message": "Quota exceeded: the limit of concurrent requests for this operation "
                "has been reached.",
                "domain": "usageLimits",
                "reason": "quotaExceeded",
            }
        ],
        "status": "PERMISSION_DENIED",
    }
}


def test_quota_is_a_strict_window_with_no_initial_burst(google_sandbox):
    google_sandbox.seed(users=3)
    google_sandbox.ops.faults_set(domain="acme.example", qpm=4)
    users = google_sandbox.directory(ADMIN).users()
    for _ in range(4):
        users.get(userKey=ADMIN).execute()
    for _ in range(3):  # refused calls do not count, and nothing refills within the minute
        with pytest.raises(HttpError) as caught:
            users.get(userKey=ADMIN).execute()
        assert caught.value.status_code == 403
        assert json.loads(caught.value.content) == RATE_LIMIT_BODY


def test_quota_window_slides(google_sandbox):
    from googlesandbox import faults

    key = ("client", "subject")
    clock = [1000.0]
    original = faults.time.monotonic
    faults.time.monotonic = lambda: clock[0]
    try:
        assert all(faults.quota_take(key, 3) for _ in range(3))
        assert not faults.quota_take(key, 3)
        clock[0] += 30
        assert not faults.quota_take(key, 3)
        clock[0] += 30.01  # the first three leave the 60 s window together
        assert all(faults.quota_take(key, 3) for _ in range(3))
        assert not faults.quota_take(key, 3)
    finally:
        faults.time.monotonic = original


def test_too_many_concurrent_requests_answer_403_quota_exceeded(google_sandbox):
    google_sandbox.seed(users=3)
    google_sandbox.ops.faults_set(domain="acme.example", concurrent_limit=2, latency_ms=600)
    credentials = google_sandbox.credentials(ADMIN)
    from google.auth.transport.requests import Request

    credentials.refresh(Request())
    url = f"{google_sandbox.url}/admin/directory/v1/users"
    answers = []

    def call():
        answers.append(
            requests.get(
                url, params={"customer": "my_customer"}, timeout=10,
                headers={"Authorization": f"Bearer {credentials.token}"},
            )
        )

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 403]
    refused = next(a for a in answers if a.status_code == 403)
    assert refused.json() == CONCURRENT_BODY


def test_seeded_faults_are_reproducible(google_sandbox):
    google_sandbox.seed(users=3)
    users = google_sandbox.directory(ADMIN).users()

    def outcomes():
        found = []
        for _ in range(12):
            try:
                users.get(userKey=ADMIN).execute(num_retries=0)
                found.append(200)
            except HttpError as exc:
                found.append(exc.status_code)
        return found

    google_sandbox.ops.faults_set(domain="acme.example", error_rates={"503": 0.5}, seed=42)
    first = outcomes()
    google_sandbox.ops.faults_set(domain="acme.example", seed=42)
    assert outcomes() == first
    assert 200 in first and 503 in first


# ---------------------------------------------------------------------------------------------
# sign-ins


def test_sign_ins_move_last_login_and_etag_and_push_an_update(google_sandbox, push_receiver):
    google_sandbox.seed(users=40)
    directory = google_sandbox.directory(ADMIN)
    before = {u["id"]: u for u in directory.users().list(
        customer="my_customer", maxResults=500).execute()["users"]}
    directory.users().watch(
        customer="my_customer", event="update",
        body={"id": "chan-update", "type": "web_hook", "address": push_receiver.url},
    ).execute()
    push_receiver.wait_for(1)
    eligible = DirUser.objects.filter(suspended=False, deleted_at=None).count()
    signed = google_sandbox.logins(percent=25, seed=1)
    assert len(signed) == round(eligible * 0.25) > 0
    after = {u["id"]: u for u in directory.users().list(
        customer="my_customer", maxResults=500).execute()["users"]}
    changed = {i for i in before if before[i]["etag"] != after[i]["etag"]}
    assert changed == {u.google_id for u in signed}
    for google_id in changed:
        assert after[google_id]["lastLoginTime"] > before[google_id]["lastLoginTime"]
    pushes = push_receiver.wait_for(1 + len(signed))
    assert {p.json()["id"] for p in pushes[1:]} == changed
    assert {p.state for p in pushes[1:]} == {"update"}
    # the same seed picks the same people
    assert [u.google_id for u in google_sandbox.logins(percent=25, seed=1)] == [
        u.google_id for u in signed
    ]


def test_sign_in_push_is_a_setting_and_drop_push_drops_it(google_sandbox, push_receiver):
    google_sandbox.seed(users=5)
    google_sandbox.directory(ADMIN).users().watch(
        customer="my_customer", event="update",
        body={"id": "chan-update", "type": "web_hook", "address": push_receiver.url},
    ).execute()
    push_receiver.wait_for(1)
    google_sandbox.ops.faults_set(domain="acme.example", login_push_update=False)
    google_sandbox.logins(percent=100)
    google_sandbox.ops.faults_set(domain="acme.example", login_push_update=True, drop_push=True)
    google_sandbox.logins(percent=100)
    google_sandbox.wait_push_idle()
    assert len(push_receiver.received) == 1


@pytest.mark.django_db
def test_logins_command():
    operations.seed("acme.example", users=20)
    eligible = DirUser.objects.filter(suspended=False).count()
    started = operations.clock_now()
    out = StringIO()
    call_command("sandbox", "logins", "acme.example", "--percent", "50", "--seed", "3",
                 stdout=out)
    expected = round(eligible / 2)
    assert f"{expected} people of acme.example signed in" in out.getvalue()
    assert DirUser.objects.filter(last_login_time__gte=started).count() == expected


# ---------------------------------------------------------------------------------------------
# install delay, page tokens, purge, 401


UNAUTHORIZED = {
    "error": "unauthorized_client",
    "error_description": "Client is unauthorized to retrieve access tokens using this method, "
    "or client not authorized for any of the scopes requested.",
}


def test_a_fresh_install_takes_effect_after_the_delay(google_sandbox):
    google_sandbox.seed(users=3, install=False)
    google_sandbox.ops.faults_set(domain="acme.example", install_delay_seconds=30)
    google_sandbox.install()
    with pytest.raises(RefreshError) as caught:
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    assert caught.value.args[1] == UNAUTHORIZED
    google_sandbox.clock_travel(20)
    with pytest.raises(RefreshError):
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    google_sandbox.clock_travel(11)
    assert google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()


def test_page_tokens_expire(google_sandbox):
    google_sandbox.seed(users=30, groups=3, members_per_group=25)
    google_sandbox.ops.faults_set(domain="acme.example", page_token_ttl_seconds=60)
    directory = google_sandbox.directory(ADMIN)
    users = directory.users().list(customer="my_customer", maxResults=10).execute()
    members = directory.members().list(groupKey="engineering@acme.example", maxResults=5).execute()
    google_sandbox.clock_travel(30)
    assert directory.users().list(
        customer="my_customer", maxResults=10, pageToken=users["nextPageToken"]
    ).execute()["users"]
    google_sandbox.clock_travel(31)
    for request in (
        directory.users().list(customer="my_customer", maxResults=10,
                               pageToken=users["nextPageToken"]),
        directory.members().list(groupKey="engineering@acme.example", maxResults=5,
                                 pageToken=members["nextPageToken"]),
    ):
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert json.loads(caught.value.content) == {
            "error": {
                "code": 400,
                "message": "Invalid Input: pageToken",
                "errors": [
                    {"message": "Invalid Input: pageToken", "domain": "global",
                     "reason": "invalid"}
                ],
                "status": "INVALID_ARGUMENT",
            }
        }


def test_deleted_users_are_purged_after_googles_retention(google_sandbox):
    google_sandbox.seed(users=5)
    user = google_sandbox.ops.user_add(email="gone@acme.example")
    google_sandbox.ops.user_delete(email="gone@acme.example")
    users = google_sandbox.directory(ADMIN).users()
    google_sandbox.clock_travel(19 * 86400)
    listed = users.list(customer="my_customer", showDeleted=True).execute()["users"]
    assert [u["primaryEmail"] for u in listed] == ["gone@acme.example"]
    assert listed[0]["deletionTime"]
    google_sandbox.clock_travel(2 * 86400)
    assert "users" not in users.list(customer="my_customer", showDeleted=True).execute()
    with pytest.raises(HttpError) as caught:
        users.get(userKey=user.google_id).execute()
    assert caught.value.status_code == 404
    with pytest.raises(operations.SandboxError):
        google_sandbox.ops.user_undelete(email="gone@acme.example")
    assert not DirUser.objects.filter(google_id=user.google_id).exists()


def test_401_carries_googles_www_authenticate_header(google_sandbox):
    url = f"{google_sandbox.url}/admin/directory/v1/users"
    missing = requests.get(url, params={"customer": "my_customer"}, timeout=5)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="https://accounts.google.com/"'
    bad = requests.get(
        url, params={"customer": "my_customer"}, headers={"Authorization": "Bearer nope"},
        timeout=5,
    )
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == (
        'Bearer realm="https://accounts.google.com/", error="invalid_token"'
    )
    assert bad.json()["error"]["errors"][0] == {
        "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
        "domain": "global",
        "reason": "authError",
        "location": "Authorization",
        "locationType": "header",
    }


# ---------------------------------------------------------------------------------------------
# push channels and the Reports API


def test_channel_expiration_is_capped_and_runs_on_the_sandbox_clock(
    google_sandbox, push_receiver
):
    google_sandbox.seed(users=3)
    directory = google_sandbox.directory(ADMIN)
    now_ms = operations.clock_now().timestamp() * 1000
    channel = directory.users().watch(
        customer="my_customer", event="add",
        body={"id": "week", "type": "web_hook", "address": push_receiver.url,
              "params": {"ttl": str(7 * 86400)}},
    ).execute()
    assert int(channel["expiration"]) <= now_ms + 21600 * 1000 + 5000
    assert int(channel["expiration"]) >= now_ms + 21600 * 1000 - 5000
    push_receiver.wait_for(1)
    google_sandbox.clock_travel(21601)
    google_sandbox.ops.user_add(email="late@acme.example")
    google_sandbox.wait_push_idle()
    assert len(push_receiver.received) == 1


def test_reports_lag_hides_fresh_events(google_sandbox):
    google_sandbox.seed(users=3)
    google_sandbox.ops.faults_set(domain="acme.example", reports_lag_seconds=90)
    google_sandbox.ops.group_add(email="team@acme.example")
    reports = google_sandbox.reports(ADMIN)

    def names():
        page = reports.activities().list(userKey="all", applicationName="admin").execute()
        return [item["events"][0]["name"] for item in page.get("items", [])]

    assert names() == []
    google_sandbox.clock_travel(60)
    assert names() == []
    google_sandbox.clock_travel(31)
    assert names() == ["CREATE_GROUP"]


def test_activities_watch_pushes_admin_events_until_stopped(google_sandbox, push_receiver):
    google_sandbox.seed(users=3)
    reports = google_sandbox.reports(ADMIN)
    channel = reports.activities().watch(
        userKey="all", applicationName="admin",
        body={"id": "feed", "type": "web_hook", "address": push_receiver.url, "token": "t0k"},
    ).execute()
    assert channel["kind"] == "api#channel" and channel["resourceId"]
    (sync,) = push_receiver.wait_for(1)
    assert sync.state == "sync" and sync.body == b""
    google_sandbox.ops.group_add(email="team@acme.example")
    event = push_receiver.wait_for(2)[1]
    assert event.state == "CREATE_GROUP"
    assert event.headers["X-Goog-Channel-ID"] == "feed"
    assert event.headers["X-Goog-Channel-Token"] == "t0k"
    assert event.headers["X-Goog-Resource-ID"] == channel["resourceId"]
    assert int(event.headers["X-Goog-Message-Number"]) > 1
    assert "/admin/reports/v1/activity/users/all/applications/admin" in (
        event.headers["X-Goog-Resource-URI"]
    )
    body = event.json()
    assert body["kind"] == "admin#reports#activity"
    assert body["id"]["applicationName"] == "admin" and body["id"]["uniqueQualifier"]
    assert body["events"][0]["parameters"] == [
        {"name": "GROUP_EMAIL", "value": "team@acme.example"}
    ]
    google_sandbox.ops.faults_set(domain="acme.example", drop_push=True)
    google_sandbox.ops.group_add(email="dropped@acme.example")
    google_sandbox.ops.faults_set(domain="acme.example", drop_push=False)
    reports.channels().stop(body={"id": "feed", "resourceId": channel["resourceId"]}).execute()
    google_sandbox.ops.group_add(email="after@acme.example")
    google_sandbox.wait_push_idle()
    assert len(push_receiver.received) == 2
    with pytest.raises(HttpError) as caught:
        reports.channels().stop(body={"id": "feed", "resourceId": "nope"}).execute()
    assert caught.value.status_code == 404


# ---------------------------------------------------------------------------------------------
# secondary domains and domain aliases


def test_secondary_domains_and_domain_aliases(google_sandbox):
    result = google_sandbox.seed(users=30, groups=6, secondary_domains=1, domain_aliases=1)
    directory = google_sandbox.directory(ADMIN)
    users = directory.users().list(customer="my_customer", maxResults=500).execute()["users"]
    hosts = {u["primaryEmail"].rsplit("@", 1)[1] for u in users}
    assert hosts == {"acme.example", "acme-sub1.example"}
    assert len(users) == 30
    primary = [u for u in users if u["primaryEmail"].endswith("@acme.example")]
    for user in primary:
        local = user["primaryEmail"].split("@")[0]
        assert user["nonEditableAliases"] == [f"{local}@acme-alias1.example"]
    secondary = directory.users().list(domain="acme-sub1.example").execute()["users"]
    assert secondary and all(u["primaryEmail"].endswith("@acme-sub1.example") for u in secondary)
    assert "nonEditableAliases" not in secondary[0]
    groups = directory.groups().list(customer="my_customer").execute()["groups"]
    assert {g["email"].rsplit("@", 1)[1] for g in groups} == {"acme.example", "acme-sub1.example"}
    customer = directory.customers().get(customerKey="my_customer").execute()
    assert customer["customerDomain"] == "acme.example"
    assert customer["id"] == result.domain.customer_id
    # Google resolves a domain-alias address to its user
    local = primary[0]["primaryEmail"].split("@")[0]
    found = directory.users().get(userKey=f"{local}@acme-alias1.example").execute()
    assert found["id"] == primary[0]["id"]
    # people can be added on a secondary domain, and its admins get tokens
    google_sandbox.ops.user_add(email="boss@acme-sub1.example", is_admin=True)
    assert google_sandbox.directory("boss@acme-sub1.example").users().get(
        userKey="boss@acme-sub1.example"
    ).execute()["primaryEmail"] == "boss@acme-sub1.example"
    shown = google_sandbox.ops.show("acme.example")
    assert shown["domains"] == [
        {"name": "acme-alias1.example", "kind": "alias", "alias_of": "acme.example"},
        {"name": "acme-sub1.example", "kind": "secondary", "alias_of": None},
    ]


@pytest.mark.django_db
def test_seed_and_domain_commands_with_secondary_domains_and_aliases():
    out = StringIO()
    call_command(
        "sandbox", "seed", "--domain", "globex.example", "--users", "12",
        "--secondary-domains", "2", "--domain-aliases", "1", "--install", stdout=out,
    )
    call_command("sandbox", "domain-add", "globex.example", "globex-extra.example", stdout=out)
    call_command("sandbox", "domain-add", "globex.example", "extra-alias.example",
                 "--alias-of", "globex-extra.example", stdout=out)
    shown = operations.show("globex.example")
    assert {d["name"] for d in shown["domains"]} == {
        "globex-sub1.example", "globex-sub2.example", "globex-alias1.example",
        "globex-extra.example", "extra-alias.example",
    }
    assert shown["settings"]["installed"] is True
    assert operations.domain_resolve("globex-sub2.example").name == "globex.example"


def test_the_servers_chores_trickle_sign_ins_and_purge(google_sandbox):
    import time

    from googlesandbox.server import Chores

    google_sandbox.seed(users=5)
    google_sandbox.ops.user_add(email="gone@acme.example")
    google_sandbox.ops.user_delete(email="gone@acme.example")
    google_sandbox.clock_travel(21 * 86400)
    started = operations.clock_now()
    chores = Chores(logins_every=0.05)
    chores.PURGE_EVERY = 0.05
    chores.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            not DirUser.objects.filter(last_login_time__gte=started).exists()
            or DirUser.objects.filter(primary_email="gone@acme.example").exists()
        ):
            time.sleep(0.05)
    finally:
        chores.stop()
    assert DirUser.objects.filter(last_login_time__gte=started).exists()
    assert not DirUser.objects.filter(primary_email="gone@acme.example").exists()
