"""A second thought before a destructive action: the confirm step.

A button that removes something (revoke an admin, unassign seats, approve removals, release
what a review kept, disconnect) posts as usual; its view asks `confirm_step` first. Until the
post carries `confirmed=yes`, the answer is a page that says exactly what will happen (how many,
to whom, and any warning — the sync account is affected) with the same fields and a confirm
button that posts them again with `confirmed=yes`. No script is needed (the Content-Security-
Policy runs none inline), so it works the same with a keyboard, a screen reader and at 375 px.
"""

from django.http import HttpResponse
from django.shortcuts import render

from .redirects import safe_next

CONFIRMED = "confirmed"


def confirm_step(
    request,
    *,
    title: str,
    message: str,
    confirm_label: str,
    warnings: list[str] | tuple[str, ...] = (),
    details: list[str] | tuple[str, ...] = (),
    cancel_url: str = "",
    danger: bool = True,
) -> HttpResponse | None:
    """None when the post is confirmed; otherwise the confirmation page to render."""
    if request.method == "POST" and request.POST.get(CONFIRMED) == "yes":
        return None
    fields = [
        (name, value)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "components/confirm.html",
        {
            "title": title,
            "message": message,
            "confirm_label": confirm_label,
            "warnings": warnings,
            "details": details,
            "fields": fields,
            "action": request.path,
            "cancel_url": safe_next(request) or cancel_url,
            "danger": danger,
        },
    )
