"""Delivering one logged email: one attempt, recorded on its log (notifications.services writes
the logs, notifications.tasks.email_deliver calls this and owns the retries).

`email_log_deliver` locks the log row, skips it unless it is still queued (so a redelivered task
never sends twice), sends it with the configured backend and records the attempt. Transient
failures (connection trouble, SMTP 4xx) raise `EmailDeliveryDeferred` for the task to retry with
backoff; permanent ones (SMTP 5xx, or the final attempt) mark the log `failed`.
"""

import smtplib

import structlog
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from notifications.models import EmailLog

logger = structlog.get_logger(__name__)


class EmailDeliveryDeferred(Exception):
    """A delivery attempt failed for a reason that may pass; the task retries it later."""


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
