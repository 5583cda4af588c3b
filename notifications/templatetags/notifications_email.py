"""Template helpers for email templates: `{% load notifications_email %}`."""

from django import template

from notifications.links import absolute_url as _absolute_url

register = template.Library()


@register.simple_tag
def absolute_url(path: str) -> str:
    """`{% absolute_url "/integrations/" %}`; for a named URL, first `{% url "name" as path %}`.

    The output is escaped in HTML templates, raw in text ones.
    """
    return _absolute_url(str(path))
