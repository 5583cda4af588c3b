"""Sending email: request, log, deliver after commit, retry what is transient.

Flow:
1. `email_send` renders the email once (subject, text, HTML — see `notifications.rendering`) and
   writes one `EmailLog` per recipient in a single INSERT. An invalid address gets a `failed` log
   with the reason instead of an exception: a bad address typed by a customer must never break
   the action that triggered the email.
2. For every queued log, the delivery task `notifications.tasks.email_deliver` is enqueued with
   `transaction.on_commit`: if the caller's transaction rolls back, nothing is sent (and the logs
   vanish with it).
3. The task calls `notifications.delivery.email_log_deliver`: one attempt, recorded on the log;
   transient failures are retried by the task with backoff, permanent ones mark the log
   `failed`.

The context is rendered immediately and is not stored, so callers may pass model instances; the
log keeps the rendered subject and bodies, which is what support sees.
"""

from collections.abc import Sequence
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from notifications.models import EmailLog
from notifications.rendering import email_render
from notifications.tasks import email_deliver

logger = structlog.get_logger(__name__)

_RECIPIENT_MAX_LENGTH = EmailLog._meta.get_field("recipient").max_length


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
    logs = email_logs_create(template=template, to=to, context=context, organization=organization)
    for log in logs:
        if log.status == EmailLog.Status.QUEUED:
            # Explicit on_commit rather than delay_on_commit: it does not depend on the Celery app's
            # task class, and a rollback discards the callback.
            transaction.on_commit(partial(email_deliver.delay, log.pk))
    return logs
