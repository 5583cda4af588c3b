"""email_send: logs per recipient, enqueueing after commit, invalid addresses reported."""

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import EmailLog
from notifications.services import email_send
from notifications.tasks import email_deliver
from tests.notifications.broker import broker_messages
from tests.organizations.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory()


def test_one_log_per_recipient_with_the_rendered_email(organization):
    logs = email_send(
        template="test_email",
        to=["ada@acme.example", " bob@acme.example "],
        context={"requested_by": "Ada"},
        organization=organization,
    )

    assert [log.recipient for log in logs] == ["ada@acme.example", "bob@acme.example"]
    stored = EmailLog.objects.get(pk=logs[0].pk)
    assert stored.status == EmailLog.Status.QUEUED
    assert stored.attempts == 0
    assert stored.organization == organization
    assert stored.template == "test_email"
    assert stored.from_email == "Hearth <no-reply@hearth.test>"
    assert stored.subject == "Hearth test email requested by Ada"
    assert "It was requested by Ada." in stored.body_text
    assert 'href="https://hearth.test/"' in stored.body_html
    assert stored.sent_at is None


def test_a_single_address_is_accepted_as_a_string():
    logs = email_send(template="test_email", to="ada@acme.example", context={}, organization=None)
    assert len(logs) == 1
    assert logs[0].organization is None


def test_logs_are_written_in_one_query(organization, django_assert_num_queries):
    with django_assert_num_queries(1):
        email_send(
            template="test_email",
            to=[f"person{n}@acme.example" for n in range(20)],
            context={},
            organization=organization,
        )


def test_delivery_is_enqueued_on_commit_to_the_broker(
    organization, django_capture_on_commit_callbacks, published_tasks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        logs = email_send(
            template="test_email",
            to=["ada@acme.example", "bob@acme.example"],
            context={},
            organization=organization,
        )
        # Nothing leaves before the transaction commits.
        assert published_tasks.calls == []

    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert published_tasks.calls == [
        ("notifications.tasks.email_deliver", (logs[0].pk,)),
        ("notifications.tasks.email_deliver", (logs[1].pk,)),
    ]
    # The messages really wait in Redis for a worker.
    assert broker_messages(set(published_tasks.ids)) == {
        published_tasks.ids[0]: ("notifications.tasks.email_deliver", [logs[0].pk]),
        published_tasks.ids[1]: ("notifications.tasks.email_deliver", [logs[1].pk]),
    }


def test_nothing_is_enqueued_or_logged_when_the_transaction_rolls_back(
    organization, django_capture_on_commit_callbacks, published_tasks
):
    class Abort(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        email_send(
            template="test_email",
            to="ada@acme.example",
            context={},
            organization=organization,
        )
        raise Abort

    assert callbacks == []
    assert published_tasks.calls == []
    assert not EmailLog.objects.exists()


def test_invalid_addresses_get_a_failed_log_and_no_exception(
    organization, django_capture_on_commit_callbacks, published_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        logs = email_send(
            template="test_email",
            to=["ada@acme.example", "not-an-address", "", "eve@acme.example\r\nBcc: x@evil.test"],
            context={},
            organization=organization,
        )

    statuses = [(log.recipient, log.status) for log in logs]
    assert statuses == [
        ("ada@acme.example", EmailLog.Status.QUEUED),
        ("not-an-address", EmailLog.Status.FAILED),
        ("", EmailLog.Status.FAILED),
        ("eve@acme.example\r\nBcc: x@evil.test", EmailLog.Status.FAILED),
    ]
    assert logs[1].last_error == "Invalid email address: 'not-an-address'."
    assert logs[2].last_error == "Invalid email address: empty."
    assert logs[3].last_error.startswith("Invalid email address:")
    # Only the valid address is handed to the worker.
    assert published_tasks.calls == [("notifications.tasks.email_deliver", (logs[0].pk,))]


def test_a_name_with_line_breaks_cannot_inject_headers(organization):
    (log,) = email_send(
        template="sample_link",
        to="ada@acme.example",
        context={"name": "Eve\r\nBcc: victim@evil.test\r\n", "company": "Acme", "path": "/"},
        organization=organization,
    )

    email_deliver.apply(args=[log.pk])

    (message,) = mail.outbox
    assert message.subject == "Welcome, Eve Bcc: victim@evil.test to Acme"
    assert message.recipients() == ["ada@acme.example"]
    mime = message.message()
    assert mime["Bcc"] is None
    assert mime["Subject"] == "Welcome, Eve Bcc: victim@evil.test to Acme"
    headers = mime.as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers
