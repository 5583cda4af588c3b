"""Rendering one email from its template prefix.

An email named `<name>` is three templates under templates/notifications/email/:
`<name>_subject.txt`, `<name>_message.txt` and `<name>_message.html` (the HTML extends
`notifications/email/layout.html`). The context always carries `site_url` and `product_name`.

Text parts (subject and plain body) are rendered without HTML autoescaping — "Smith & Co" must not
arrive as "Smith &amp; Co" — while the HTML part escapes as usual. The subject is collapsed onto one
line (every run of whitespace, line breaks included, becomes one space) so a value with line breaks
can never start a new mail header.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template

TEMPLATE_DIRECTORY = "notifications/email"
# RFC 5322 caps a header line at 998 characters; real subjects are far shorter.
SUBJECT_MAX_LENGTH = 998


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def email_context(context: dict[str, Any]) -> dict[str, Any]:
    """The caller's context plus what every email may use (these two names are reserved)."""
    return {
        **context,
        "site_url": settings.SITE_URL.rstrip("/"),
        "product_name": settings.PRODUCT_NAME,
    }


def subject_clean(subject: str) -> str:
    # str.split() without arguments also splits on \r, \n, \v, \f and Unicode line separators.
    return " ".join(subject.split())[:SUBJECT_MAX_LENGTH]


def _render_plain(template_name: str, context: dict[str, Any]) -> str:
    # The Django backend's template wrapper always autoescapes; its engine template takes a
    # Context where autoescaping can be switched off for plain text.
    engine_template = get_template(template_name).template
    return engine_template.render(Context(context, autoescape=False))


def email_render(*, template: str, context: dict[str, Any]) -> RenderedEmail:
    full_context = email_context(context)
    prefix = f"{TEMPLATE_DIRECTORY}/{template}"
    return RenderedEmail(
        subject=subject_clean(_render_plain(f"{prefix}_subject.txt", full_context)),
        body_text=_render_plain(f"{prefix}_message.txt", full_context).strip() + "\n",
        body_html=get_template(f"{prefix}_message.html").render(full_context),
    )
