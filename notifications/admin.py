"""The email log in the support console: did an email go out, and if not, why. Read-only."""

from django.contrib import admin
from django.utils.html import format_html

from notifications.models import EmailLog


@admin.register(EmailLog)
class EmailLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "recipient",
        "template",
        "status",
        "attempts",
        "organization",
        "sent_at",
    ]
    list_filter = ["status", "template"]
    search_fields = ["recipient"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
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

    @admin.display(description="Text body")
    def body_text_preformatted(self, log: EmailLog) -> str:
        return format_html('<pre style="white-space:pre-wrap">{}</pre>', log.body_text)

    @admin.display(description="HTML body")
    def body_html_preview(self, log: EmailLog) -> str:
        # A sandboxed iframe shows the email as the recipient saw it without letting its markup
        # touch the admin page (no scripts, no same-origin access).
        return format_html(
            '<iframe sandbox srcdoc="{}" title="HTML body of email #{}" '
            'style="width:100%; max-width:680px; height:480px; border:1px solid #ccc"></iframe>',
            log.body_html,
            log.pk,
        )

    # The log records what happened; support reads it, nobody edits it.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
