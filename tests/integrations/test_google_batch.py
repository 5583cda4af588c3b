"""Hearth's client sends its per-person reads as Google batch requests (integrations/google/
client.py `execute_batch`), against the sandbox over HTTP."""

import pytest

from googlesandbox.models import DirUser
from integrations.errors import GoogleTemporaryError
from integrations.google import client as google
from integrations.google.client import BATCH_SIZE, google_client

ADMIN = "admin@acme.example"


@pytest.fixture
def batches(monkeypatch):
    """How many calls each batch request carried."""
    sizes = []
    send = google.GoogleClient._batch_send

    def counted(self, pending):
        sizes.append(len(pending))
        return send(self, pending)

    monkeypatch.setattr(google.GoogleClient, "_batch_send", counted)
    return sizes


def _users_get(client, keys) -> dict:
    with client.users_get_concurrent(keys) as answers:
        return dict(answers)


def test_users_are_read_in_batches_and_unknown_ones_answer_none(google_sandbox, batches):
    google_sandbox.seed(users=300, groups=0)
    people = list(DirUser.objects.values_list("google_id", "primary_email"))
    keys = [google_id for google_id, _ in people] + ["999999999999999999999", "ghost@acme.example"]
    client = google_client(subject=ADMIN)

    answers = _users_get(client, keys + keys[:3])  # asked twice: read once

    found = {key: answer["primaryEmail"] for key, answer in answers.items() if answer}
    assert found == dict(people)
    assert answers["999999999999999999999"] is None and answers["ghost@acme.example"] is None
    assert sorted(batches) == [2] + [BATCH_SIZE] * 6  # 302 calls, each asked once


def test_a_few_users_are_spread_over_batches_sent_at_once(google_sandbox, batches):
    google_sandbox.seed(users=9, groups=0)
    keys = list(DirUser.objects.values_list("google_id", flat=True))
    client = google_client(subject=ADMIN)

    assert len(_users_get(client, keys)) == 9
    assert batches == [3, 3, 3]  # not one batch of 9, answered one call after another
    assert client.calls == len(keys)  # Google counts every call of a batch


def test_calls_refused_for_a_moment_go_again_and_the_answers_are_right(google_sandbox, batches):
    google_sandbox.seed(users=60, groups=0)
    people = dict(DirUser.objects.values_list("google_id", "primary_email"))
    google_sandbox.ops.faults_set(
        domain="acme.example", error_rates={"503": 0.3, "429": 0.1}, seed=7
    )
    client = google_client(subject=ADMIN)
    client.retry.base_seconds = client.retry.cap_seconds = 0.01

    answers = _users_get(client, list(people))

    assert {key: answer["primaryEmail"] for key, answer in answers.items()} == people
    assert client.failures["backendError"] > 0 and client.failures["rateLimitExceeded"] > 0
    assert sum(batches) == client.calls == len(people) + sum(client.failures.values())
    assert len(batches) > 2  # the refused calls went again, in batches of their own


def test_a_call_refused_every_time_fails_the_read_as_temporary(google_sandbox):
    google_sandbox.seed(users=5, groups=0)
    keys = list(DirUser.objects.values_list("google_id", flat=True))
    google_sandbox.ops.faults_set(domain="acme.example", error_rates={"503": 1.0})
    client = google_client(subject=ADMIN)
    client.retry.base_seconds = client.retry.cap_seconds = 0.01

    with pytest.raises(GoogleTemporaryError):
        _users_get(client, keys)
    assert client.calls == len(keys) * client.retry.attempts
