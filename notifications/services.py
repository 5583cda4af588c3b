"""Sending email: request, log, deliver after commit, retry what is transient.

Flow:
1. `email_send` renders the email once (subject, text, HTML — see `notifications.rendering`) and
   writes one `EmailLog` per recipient in a single INSERT. An invalid address gets a `failed` log
   with the reason instead of an exception: a bad address typed by a customer must never break
   the action that triggered the email.
2. For every queued log, the delivery task `notifications.tasks.email_deliver` is enqueued with
   `transaction.on_commit`: if the caller's transaction rolls back, nothing is sent (and the logs
   vanish with it).
3. The task calls `email_log_deliver`, which locks the log row, skips it unless it is still
   queued (so a redelivered task never sends twice), sends it with the configured backend and
   records the attempt. Transient failures (connection trouble, SMTP 4xx) raise
   `EmailDeliveryDeferred` for the task to retry with backoff; permanent ones (SMTP 5xx, or the
   final attempt) mark the log `failed`.

The context is rendered immediately and is not stored, so callers may pass model instances; the
log keeps the rendered subject and bodies, which is what support sees.
"""

import smtplib
from collections.abc import Sequence
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from notifications.models import EmailLog
from notifications.rendering import email_render

logger = structlog.get_logger(__name__)

_RECIPIENT_MAX_LENGTH = EmailLog._meta.get_field("recipient").max_length


class EmailDeliveryDeferred(Exception):
    """A delivery attempt failed for a reason that may pass; the task retries it later."""


def _recipient_error(recipient: str) -> str:
    """Why an address cannot be used, or "" when it can."""
    if not recipient:
        return "Invalid email address: empty."
    try:
        validate_email(recipient)
    except ValidationError:
        return f"Invalid email address: {recipient!r}."
    return ""


def email_logs_create(
    *,
    template: str,
    to: str | Sequence[str],
    context: dict[str, Any],
    organization: Any,
) -> list[EmailLog]:
    """Render an email and write its logs (queued, or failed for invalid addresses); no sending."""
    recipients = [to] if isinstance(to, str) else list(to)
    rendered = email_render(template=template, context=context)
    from_email = settings.DEFAULT_FROM_EMAIL
    logs = []
    for raw_recipient in recipients:
        recipient = raw_recipient.strip()
        error = _recipient_error(recipient)
        logs.append(
            EmailLog(
                organization=organization,
                recipient=recipient[:_RECIPIENT_MAX_LENGTH],
                template=template,
                from_email=from_email,
                subject=rendered.subject,
                body_text=rendered.body_text,
                body_html=rendered.body_html,
                status=EmailLog.Status.FAILED if error else EmailLog.Status.QUEUED,
                last_error=error,
            )
        )
    logs = EmailLog.objects.bulk_create(logs)
    for log in logs:
        if log.status == EmailLog.Status.FAILED:
            logger.warning(
                "email_rejected", email_log_id=log.pk, template=template, error=log.last_error
            )
    return logs


def email_send(
    *,
    template: str,
    to: str | Sequence[str],
    context: dict[str, Any],
    organization: Any,
) -> list[EmailLog]:
    """Send the email `template` to each address in `to`, in the background after commit.

    Returns one EmailLog per recipient. `organization` is None for vendor-level emails.
    """
    # Imported here: tasks.py imports this module for the service it runs.
    from notifications.tasks import email_deliver

    logs = email_logs_create(template=template, to=to, context=context, organization=organization)
    for log in logs:
        if log.status == EmailLog.Status.QUEUED:
            # Explicit on_commit rather than delay_on_commit: it does not depend on the Celery app's
            # task class, and a rollback discards the callback.
            transaction.on_commit(partial(email_deliver.delay, log.pk))
    return logs


def _error_is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Transient only if every refusal is a 4xx ("mailbox busy"), not a 5xx ("no such user").
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPException):
        return False
    # Socket-level trouble reaching the SMTP host: refused/reset connections, timeouts, DNS
    # failures, unreachable networks (all OSError; SMTPException is one too, handled above).
    return isinstance(exc, OSError)


def _error_describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _message_build(log: EmailLog) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=log.subject,
        body=log.body_text,
        from_email=log.from_email,
        to=[log.recipient],
        headers={"X-Hearth-Email": log.template},
    )
    message.attach_alternative(log.body_html, "text/html")
    return message


def email_log_deliver(*, email_log_id: int, final_attempt: bool) -> EmailLog | None:
    """Make one delivery attempt for a queued email and record it on the log.

    Raises EmailDeliveryDeferred on a transient failure unless `final_attempt`, in which case the
    log is marked failed instead. Returns None if the log no longer exists.
    """
    deferred: Exception | None = None
    unexpected: Exception | None = None
    # The row lock is held while sending: a second worker delivering the same log (a redelivered
    # message) waits here, then finds it sent and does nothing.
    with transaction.atomic():
        log = EmailLog.objects.select_for_update().filter(pk=email_log_id).first()
        if log is None:
            logger.warning("email_log_missing", email_log_id=email_log_id)
            return None
        if log.status != EmailLog.Status.QUEUED:
            return log
        log.attempts += 1
        log.last_attempt_at = timezone.now()
        try:
            _message_build(log).send(fail_silently=False)
        # Any failure is recorded on the log; only transient ones are retried (see below).
        except Exception as exc:  # noqa: BLE001
            log.last_error = _error_describe(exc)
            if _error_is_transient(exc) and not final_attempt:
                deferred = exc
            else:
                log.status = EmailLog.Status.FAILED
                if not isinstance(exc, smtplib.SMTPException | OSError):
                    unexpected = exc
        else:
            log.status = EmailLog.Status.SENT
            log.sent_at = log.last_attempt_at
        log.save(update_fields=["attempts", "last_attempt_at", "last_error", "status", "sent_at"])

    logger.info(
        "email_attempt",
        email_log_id=log.pk,
        template=log.template,
        status=log.status,
        attempts=log.attempts,
        error=log.last_error if log.status != EmailLog.Status.SENT else "",
    )
    if deferred is not None:
        raise EmailDeliveryDeferred(log.last_error) from deferred
    if unexpected is not None:
        # Not a mail problem but a bug: the log says failed, and the task fails loudly too.
        raise unexpected
    return log
