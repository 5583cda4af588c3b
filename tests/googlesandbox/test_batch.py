"""The batch endpoint (`POST /batch`) through google-api-python-client's own BatchHttpRequest,
and by hand where the client cannot send what Google must refuse."""

import json
import time

import requests
from googleapiclient.http import BatchHttpRequest

from googlesandbox.models import DirUser

ADMIN = "admin@acme.example"


def _batch(google_sandbox, answers: dict) -> BatchHttpRequest:
    def keep(request_id, response, exception):
        answers[request_id] = exception if exception is not None else response

    return BatchHttpRequest(callback=keep, batch_uri=f"{google_sandbox.url}/batch")


def test_every_call_of_a_batch_is_answered_on_its_own(google_sandbox):
    google_sandbox.seed(users=6, groups=1)
    people = list(DirUser.objects.order_by("primary_email")[:3])
    users = google_sandbox.directory(ADMIN).users()
    answers: dict = {}
    batch = _batch(google_sandbox, answers)
    batch.add(users.get(userKey=people[0].google_id, projection="full"), request_id="by id")
    batch.add(users.get(userKey=people[1].primary_email), request_id="by address")
    batch.add(users.get(userKey="nobody@acme.example"), request_id="unknown")
    # the client folds a long Content-ID over two lines
    long_id = "a-request-id-long-enough-that-its-content-id-header-is-folded@acme.example"
    batch.add(users.get(userKey=people[2].google_id), request_id=long_id)
    batch.add(
        google_sandbox.directory(ADMIN).groups().list(customer="my_customer"),
        request_id="another method",
    )
    batch.execute()

    assert answers["by id"]["primaryEmail"] == people[0].primary_email
    assert answers["by id"]["kind"] == "admin#directory#user"
    assert answers["by address"]["id"] == people[1].google_id
    assert answers["unknown"].status_code == 404
    assert json.loads(answers["unknown"].content)["error"]["errors"][0]["reason"] == "notFound"
    assert len(answers["another method"]["groups"]) == 1
    assert answers[long_id]["primaryEmail"] == people[2].primary_email


def test_each_call_counts_against_the_quota(google_sandbox):
    google_sandbox.seed(users=6)
    people = list(DirUser.objects.order_by("primary_email")[:5])
    users = google_sandbox.directory(ADMIN).users()
    users.list(customer="my_customer", maxResults=1).execute()  # one call of the quota
    google_sandbox.ops.faults_set(domain="acme.example", qpm=3)
    answers: dict = {}
    batch = _batch(google_sandbox, answers)
    for person in people:
        batch.add(users.get(userKey=person.google_id), request_id=person.google_id)
    batch.execute()

    refused = [a for a in answers.values() if not isinstance(a, dict)]
    assert len(answers) == 5
    assert len(refused) == 3  # 1 + 2 calls fill the minute's 3
    assert {a.status_code for a in refused} == {403}
    assert {json.loads(a.content)["error"]["errors"][0]["reason"] for a in refused} == {
        "userRateLimitExceeded"
    }


def test_a_call_without_its_own_credentials_is_refused(google_sandbox):
    google_sandbox.seed(users=2)
    person = DirUser.objects.first()
    body = (
        "--b\r\nContent-Type: application/http\r\nContent-ID: <x+1>\r\n\r\n"
        f"GET /admin/directory/v1/users/{person.google_id} HTTP/1.1\r\n\r\n"
        "\r\n--b--\r\n"
    )
    answer = requests.post(
        f"{google_sandbox.url}/batch",
        data=body.encode(),
        headers={"Content-Type": "multipart/mixed; boundary=b"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    assert "Content-ID: <response-x+1>" in answer.text
    assert "HTTP/1.1 401 Unauthorized" in answer.text
    assert person.primary_email not in answer.text


def test_what_is_not_a_batch_is_refused_whole(google_sandbox):
    google_sandbox.seed(users=1)
    url = f"{google_sandbox.url}/batch"
    plain = requests.post(url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=10)
    assert plain.status_code == 400
    assert "multipart/mixed" in plain.json()["error"]["message"]
    empty = requests.post(
        url, data=b"garbage", headers={"Content-Type": "multipart/mixed; boundary=b"}, timeout=10
    )
    assert empty.status_code == 400
    assert requests.get(url, timeout=10).status_code == 405
    part = (
        "--b\r\nContent-Type: application/http\r\n\r\n"
        "GET /admin/directory/v1/users/1 HTTP/1.1\r\n\r\n\r\n"
    )
    too_many = requests.post(
        url,
        data=(part * 1001 + "--b--\r\n").encode(),
        headers={"Content-Type": "multipart/mixed; boundary=b"},
        timeout=30,
    )
    assert too_many.status_code == 400
    assert "1000" in too_many.json()["error"]["message"]
    nested = (
        "--b\r\nContent-Type: application/http\r\nContent-ID: <n+1>\r\n\r\n"
        "POST /batch HTTP/1.1\r\n\r\n\r\n--b--\r\n"
    )
    answer = requests.post(
        url, data=nested.encode(), headers={"Content-Type": "multipart/mixed; boundary=b"},
        timeout=10,
    )
    assert "HTTP/1.1 404 Not Found" in answer.text


def test_a_batch_pays_the_latency_once_not_per_call(google_sandbox):
    google_sandbox.seed(users=8)
    people = list(DirUser.objects.all()[:8])
    users = google_sandbox.directory(ADMIN).users()
    users.list(customer="my_customer", maxResults=1).execute()  # token fetched
    google_sandbox.ops.faults_set(domain="acme.example", latency_ms=400, jitter_ms=0)
    answers: dict = {}
    batch = _batch(google_sandbox, answers)
    for person in people:
        batch.add(users.get(userKey=person.google_id), request_id=person.google_id)
    started = time.monotonic()
    batch.execute()
    took = time.monotonic() - started
    assert all(isinstance(a, dict) for a in answers.values()) and len(answers) == 8
    # one round trip's latency (0.4 s), not eight (3.2 s)
    assert 0.35 <= took < 2.0


def test_a_call_that_crashes_is_its_own_500_and_the_others_answer(google_sandbox, monkeypatch):
    google_sandbox.seed(users=3, groups=1)
    directory = google_sandbox.directory(ADMIN)
    users, groups = directory.users(), directory.groups()
    groups.list(customer="my_customer").execute()  # the token fetched before the bug
    answers: dict = {}
    batch = _batch(google_sandbox, answers)
    batch.add(users.get(userKey=ADMIN), request_id="crashes")
    batch.add(groups.list(customer="my_customer"), request_id="answers")

    def crash(*args, **kwargs):
        raise RuntimeError("a bug in the sandbox")

    monkeypatch.setattr("googlesandbox.directory.operations.user_find", crash)
    batch.execute()

    assert answers["crashes"].status_code == 500
    assert json.loads(answers["crashes"].content)["error"]["errors"][0]["reason"] == "backendError"
    assert len(answers["answers"]["groups"]) == 1
