"""Celery tasks for notifications. Thin: they own the retry policy, the service does the work."""

from celery import shared_task

from notifications.delivery import EmailDeliveryDeferred, email_log_deliver

EMAIL_MAX_RETRIES = 5


@shared_task(
    bind=True,
    # Acknowledge only after the attempt is recorded; a worker lost mid-send is redelivered, and
    # the log's status makes the redelivery a no-op if the email already went out.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(EmailDeliveryDeferred,),
    max_retries=EMAIL_MAX_RETRIES,
    # 60s, 120s, 240s, 480s, 960s (with jitter): about half an hour to ride out an SMTP outage.
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
)
def email_deliver(self, email_log_id: int) -> None:
    email_log_deliver(
        email_log_id=email_log_id,
        final_attempt=self.request.retries >= EMAIL_MAX_RETRIES,
    )
