"""A test email backend standing in for the SMTP server: the one thing that leaves the process."""

from typing import ClassVar

from django.core.mail.backends import locmem


class FlakyEmailBackend(locmem.EmailBackend):
    """Raises the queued errors, one per send, then delivers to django.core.mail.outbox."""

    errors: ClassVar[list[Exception]] = []

    def send_messages(self, messages):
        if FlakyEmailBackend.errors:
            raise FlakyEmailBackend.errors.pop(0)
        return super().send_messages(messages)
