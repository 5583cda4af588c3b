"""Render Django form fields with Bootstrap's classes, without a form library."""

from django import template
from django.forms import BoundField

register = template.Library()

_CHECK_WIDGETS = {"checkbox", "radio", "checkboxselectmultiple", "radioselect"}


@register.filter
def is_check(field: BoundField) -> bool:
    return field.widget_type in _CHECK_WIDGETS


@register.filter
def bootstrap_widget(field: BoundField) -> str:
    """The field's widget with Bootstrap's class, error state and error description."""
    if field.widget_type in _CHECK_WIDGETS:
        css = "form-check-input"
    elif field.widget_type in {"select", "selectmultiple"}:
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{css} is-invalid" if field.errors else css}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}-errors"
    elif field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}-help"
    existing = field.field.widget.attrs.get("class")
    if existing:
        attrs["class"] = f"{attrs['class']} {existing}"
    return field.as_widget(attrs=attrs)
