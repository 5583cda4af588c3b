"""`manage.py email_test`: the SMTP check for support."""

import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import EmailLog

pytestmark = pytest.mark.django_db


def test_now_delivers_in_process_and_reports(capsys):
    out = StringIO()
    call_command("email_test", "support@hearth.test", "--now", stdout=out)

    log = EmailLog.objects.get()
    assert log.status == EmailLog.Status.SENT
    assert log.template == "test_email"
    assert f"EmailLog #{log.pk} to support@hearth.test: sent" in out.getvalue()
    (message,) = mail.outbox
    assert message.subject == "Hearth test email requested by the email_test command"


def test_now_reports_an_smtp_failure(flaky_backend):
    flaky_backend.errors = [smtplib.SMTPServerDisconnected("no SMTP here")]
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("email_test", "support@hearth.test", "--now", stderr=err)

    assert "failed (SMTPServerDisconnected: no SMTP here)" in err.getvalue()
    assert EmailLog.objects.get().status == EmailLog.Status.FAILED


def test_without_now_the_email_goes_through_the_worker(
    django_capture_on_commit_callbacks, published_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("email_test", "support@hearth.test", stdout=StringIO())

    log = EmailLog.objects.get()
    assert log.status == EmailLog.Status.QUEUED
    assert published_tasks.calls == [("notifications.tasks.email_deliver", (log.pk,))]


def test_an_invalid_address_is_reported():
    with pytest.raises(CommandError):
        call_command("email_test", "nobody", stdout=StringIO(), stderr=StringIO())
    assert EmailLog.objects.get().status == EmailLog.Status.FAILED
