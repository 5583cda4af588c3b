"""The delivery task: sends once, records every attempt, retries only what may pass."""

import smtplib

import pytest
from celery import states
from django.core import mail

from notifications.models import EmailLog
from notifications.services import email_logs_create
from notifications.tasks import EMAIL_MAX_RETRIES, email_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_log():
    (log,) = email_logs_create(
        template="test_email", to="ada@acme.example", context={}, organization=None
    )
    return log


def test_a_queued_email_is_sent_as_text_and_html(email_log):
    result = email_deliver.apply(args=[email_log.pk])

    assert result.state == states.SUCCESS
    email_log.refresh_from_db()
    assert email_log.status == EmailLog.Status.SENT
    assert email_log.attempts == 1
    assert email_log.sent_at is not None
    assert email_log.last_error == ""
    (message,) = mail.outbox
    assert message.to == ["ada@acme.example"]
    assert message.from_email == "Hearth <no-reply@hearth.test>"
    assert message.subject == email_log.subject
    assert message.body == email_log.body_text
    assert message.alternatives[0].content == email_log.body_html
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["X-Hearth-Email"] == "test_email"


def test_redelivery_of_a_sent_email_sends_nothing(email_log):
    email_deliver.apply(args=[email_log.pk])
    email_deliver.apply(args=[email_log.pk])

    email_log.refresh_from_db()
    assert email_log.attempts == 1
    assert len(mail.outbox) == 1


def test_a_dropped_connection_is_retried_then_sent(email_log, flaky_backend):
    flaky_backend.errors = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]

    result = email_deliver.apply(args=[email_log.pk])

    assert result.state == states.SUCCESS
    email_log.refresh_from_db()
    assert email_log.status == EmailLog.Status.SENT
    assert email_log.attempts == 2
    # The earlier failure stays visible to support.
    assert email_log.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert len(mail.outbox) == 1


def test_a_temporary_smtp_refusal_is_retried(email_log, flaky_backend):
    flaky_backend.errors = [
        smtplib.SMTPDataError(451, b"Try again later"),
        ConnectionRefusedError(111, "Connection refused"),
    ]

    email_deliver.apply(args=[email_log.pk])

    email_log.refresh_from_db()
    assert email_log.status == EmailLog.Status.SENT
    assert email_log.attempts == 3


def test_a_permanent_refusal_fails_at_once(email_log, flaky_backend):
    flaky_backend.errors = [
        smtplib.SMTPRecipientsRefused({"ada@acme.example": (550, b"No such user")})
    ]

    result = email_deliver.apply(args=[email_log.pk])

    assert result.state == states.SUCCESS  # reported on the log, not raised
    email_log.refresh_from_db()
    assert email_log.status == EmailLog.Status.FAILED
    assert email_log.attempts == 1
    assert "No such user" in email_log.last_error
    assert mail.outbox == []


def test_delivery_gives_up_after_the_last_retry(email_log, flaky_backend):
    flaky_backend.errors = [
        smtplib.SMTPServerDisconnected(f"drop {n}") for n in range(EMAIL_MAX_RETRIES + 5)
    ]

    result = email_deliver.apply(args=[email_log.pk])

    assert result.state == states.SUCCESS
    email_log.refresh_from_db()
    assert email_log.status == EmailLog.Status.FAILED
    assert email_log.attempts == EMAIL_MAX_RETRIES + 1
    assert email_log.last_error == f"SMTPServerDisconnected: drop {EMAIL_MAX_RETRIES}"
    assert mail.outbox == []
    # A failed email stays failed: a late redelivery does not try again.
    email_deliver.apply(args=[email_log.pk])
    email_log.refresh_from_db()
    assert email_log.attempts == EMAIL_MAX_RETRIES + 1


def test_a_bug_in_sending_marks_the_log_failed_and_fails_the_task(email_log, flaky_backend):
    flaky_backend.errors = [ValueError("bad backend configuration")]

    result = email_deliver.apply(args=[email_log.pk])

    assert result.state == states.FAILURE
    assert isinstance(result.result, ValueError)
    email_log.refresh_from_db()
    assert email_log.status == EmailLog.Status.FAILED
    assert email_log.attempts == 1
    assert email_log.last_error == "ValueError: bad backend configuration"


def test_a_missing_log_is_ignored():
    assert email_deliver.apply(args=[987654321]).state == states.SUCCESS
    assert mail.outbox == []
