"""The email log: did an email go out, and if not, why. Read-only; a failed email can be sent
again (support.actions.email_resend)."""

from django.contrib import admin
from django.utils.html import format_html

from notifications.models import EmailLog

from .. import actions
from .base import ReadOnlyAdmin, action_done, organization_filter


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "recipient",
        "template",
        "status",
        "attempts",
        "organization",
        "sent_at",
    ]
    list_filter = ["status", "template", ("created_at", admin.DateFieldListFilter)]
    list_filter += [organization_filter()]
    search_fields = ["^recipient"]
    search_help_text = "Search by the recipient's address (or its beginning)."
    list_select_related = ["organization"]
    ordering = ["-created_at", "-id"]
    fields = [
        "recipient",
        "template",
        "organization",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "sent_at",
        "from_email",
        "subject",
        "body_text_preformatted",
        "body_html_preview",
    ]
    readonly_fields = fields
    actions = ["resend"]

    @admin.display(description="Text body")
    def body_text_preformatted(self, log: EmailLog) -> str:
        return format_html('<pre class="support-email-text">{}</pre>', log.body_text)

    @admin.display(description="HTML body")
    def body_html_preview(self, log: EmailLog) -> str:
        # A sandboxed iframe shows the email as the recipient saw it without letting its markup
        # touch the admin page (no scripts, no same-origin access).
        return format_html(
            '<iframe sandbox srcdoc="{}" title="HTML body of email #{}" '
            'class="support-email-html"></iframe>',
            log.body_html,
            log.pk,
        )

    @admin.action(description="Send the failed emails again", permissions=["support"])
    def resend(self, request, queryset):
        outcomes = [
            actions.email_resend(email_log=log, acting_user=request.user)
            for log in queryset.select_related("organization")[:100]
        ]
        return action_done(self, request, outcomes, follow_run=False)
