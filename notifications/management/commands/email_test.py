"""`manage.py email_test ADDRESS [--now]`: send the test email, for support to check SMTP.

By default the email goes through the normal path (logged, delivered by a Celery worker). With
`--now` it is delivered in this process, one attempt, and the outcome is printed — useful when the
worker's state is in doubt.
"""

from django.core.management.base import BaseCommand, CommandError

from notifications.delivery import email_log_deliver
from notifications.models import EmailLog
from notifications.services import email_logs_create, email_send


class Command(BaseCommand):
    help = "Send a test email to check outgoing email (SMTP) settings."

    def add_arguments(self, parser):
        parser.add_argument("addresses", nargs="+", metavar="ADDRESS")
        parser.add_argument(
            "--now",
            action="store_true",
            help="Deliver in this process instead of through the Celery worker.",
        )

    def handle(self, *args, addresses: list[str], now: bool, **options):
        context = {"requested_by": "the email_test command"}
        if not now:
            logs = email_send(
                template="test_email", to=addresses, context=context, organization=None
            )
        else:
            logs = email_logs_create(
                template="test_email", to=addresses, context=context, organization=None
            )
            for log in logs:
                if log.status == EmailLog.Status.QUEUED:
                    # A final attempt never defers: it sends or marks the log failed.
                    email_log_deliver(email_log_id=log.pk, final_attempt=True)
                    log.refresh_from_db()

        failed = False
        for log in logs:
            line = f"EmailLog #{log.pk} to {log.recipient}: {log.status}"
            if log.last_error:
                line += f" ({log.last_error})"
            if log.status == EmailLog.Status.FAILED:
                failed = True
                self.stderr.write(line)
            else:
                self.stdout.write(line)
        if failed:
            raise CommandError("The test email could not be sent to every address.")
