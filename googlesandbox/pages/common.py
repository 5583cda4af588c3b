"""What every human page of the sandbox shares: the view decorator, rendering, sign-in lookups.

`page_view` wraps each view so that it
- is csrf_exempt and login_not_required: Django's CSRF protection needs Django's `csrftoken`
  cookie, which the browser shares with Hearth on the same host (another port), and Hearth's
  login rules do not apply to the emulated Google. POSTs are protected instead by the
  sandbox's own `gs_token` field tied to its signed `gsandbox_account` cookie (cookies.py);
- writes that cookie back when the view minted or changed it.

Signed-in accounts come from the cookie and are re-checked on every request against the
directory: a user suspended or deleted since signing in is no longer signed in, as at Google.
"""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from ..models import DirUser, Domain
from . import cookies


def people_matching(users, query: str):
    """Filter a DirUser queryset by a search box: prefix of the email, first or last name.

    Prefix matches in byte order run off the "C"-collated indexes of a 100,000-user domain;
    names are tried as typed and capitalized ("ada" finds "Ada") instead of a case-insensitive
    match that would read every row.
    """
    q = query.strip()
    if not q:
        return users
    variants = {q, q.lower(), q[:1].upper() + q[1:].lower()}
    match = Q(primary_email__startswith=q.lower())
    for variant in variants:
        match |= Q(given_name__startswith=variant) | Q(family_name__startswith=variant)
    if " " in q:
        given, _, family = q.partition(" ")
        match |= Q(
            given_name__startswith=given[:1].upper() + given[1:].lower(),
            family_name__startswith=family.strip()[:1].upper() + family.strip()[1:].lower(),
        )
    return users.filter(match)


def page_view(view):
    @csrf_exempt
    @login_not_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST" and not cookies.form_token_valid(request):
            response = error_page(
                request,
                status=403,
                title="This page has expired",
                message="The form was not sent from this browser's sandbox page, or the "
                "sandbox cookie was cleared. Go back, reload the page and try again.",
            )
        else:
            response = view(request, *args, **kwargs)
        return cookies.state_write(request, response)

    return wrapper


def render_page(request: HttpRequest, template: str, context: dict | None = None, status=200):
    context = {
        "product_name": settings.PRODUCT_NAME,
        "gs_token": cookies.form_token(request),
        "flash": cookies.flash_pop(request),
        "signed_in": signed_in_users(request),
        **(context or {}),
    }
    return render(request, f"googlesandbox/pages/{template}", context, status=status)


def error_page(request: HttpRequest, *, status: int, title: str, message: str, **extra):
    return render_page(
        request, "error.html", {"title": title, "message": message, **extra}, status=status
    )


def sign_in_problem(user: DirUser | None) -> str:
    """Why `user` cannot sign in ("" when it can)."""
    if user is None or user.deleted_at is not None:
        return "deleted"
    if user.suspended:
        return "suspended"
    return ""


def signed_in_users(request: HttpRequest) -> list[DirUser]:
    """The accounts signed in on this browser that still may sign in, most recent first."""
    cached = getattr(request, "_gsandbox_users", None)
    if cached is not None:
        return cached
    ids = cookies.browser_state(request).account_ids
    found = {
        u.google_id: u
        for u in DirUser.objects.select_related("domain").filter(
            google_id__in=ids, deleted_at__isnull=True, suspended=False
        )
    }
    request._gsandbox_users = [found[i] for i in ids if i in found]
    return request._gsandbox_users


def signed_in_account(request: HttpRequest, authuser: str | None) -> DirUser | None:
    """The signed-in account named by `authuser` (a Directory user id), if it is signed in."""
    if not authuser:
        return None
    return next((u for u in signed_in_users(request) if u.google_id == authuser), None)


def safe_continue(url: str | None, default: str = "/") -> str:
    """Only local paths may be continued to (no open redirect through the chooser)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return default


def chooser_url(continue_url: str, *, domain: Domain | str | None = None, purpose: str = "") -> str:
    params = {"continue": continue_url}
    if domain:
        params["hd"] = str(domain)
    if purpose:
        params["purpose"] = purpose
    return "/signin/chooser?" + urlencode(params)


def with_params(url: str, **params) -> str:
    joiner = "&" if "?" in url else "?"
    return url + joiner + urlencode(params)
