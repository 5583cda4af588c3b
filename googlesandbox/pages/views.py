"""The emulated Google sign-in ("Choose an account") and Hearth's Marketplace listing.

Sign-in: there are no passwords — the visitor picks who they are among a domain's users. The
choice is added to the signed `gsandbox_account` cookie and the chooser continues to the page
that asked, with `authuser=<Directory user id>` naming the chosen account (as Google's
`authuser`). Suspended or deleted accounts are refused with Google-like pages.

Marketplace flow (settings.GOOGLE_MARKETPLACE_URL = <sandbox>/marketplace/hearth):
listing → "Domain install" → choose an account → not a super admin: "You need to be a super
administrator" (403) → consent page listing Hearth's scopes → "Allow" grants them domain-wide
to Hearth's service-account client id (operations.install) → "Done" page → listing, which now
says "Installed" and offers "Uninstall" (operations.uninstall; super admins only).
"""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from .. import keys, operations
from ..models import DirUser, Domain
from . import cookies
from .common import (
    chooser_url,
    error_page,
    page_view,
    people_matching,
    render_page,
    safe_continue,
    sign_in_problem,
    signed_in_account,
    signed_in_users,
    with_params,
)
from .scopes import scope_descriptions

MARKETPLACE = "/marketplace/hearth"
CHOOSER_PAGE_SIZE = 12
PURPOSES = {
    "marketplace": "to continue to Google Workspace Marketplace",
    "console": "to continue to the Admin console",
    "oidc": "to continue to {product}",
}


# ---------------------------------------------------------------------------------------------
# Choose an account


def _chooser_domain(request: HttpRequest, domains: list[Domain]) -> Domain | None:
    wanted = (request.GET.get("hd") or "").strip().lower()
    by_name = {d.name: d for d in domains}
    if wanted:
        return by_name.get(wanted)
    for user in signed_in_users(request):
        if user.domain.name in by_name:
            return by_name[user.domain.name]
    return by_name.get("acme.example") or (domains[0] if domains else None)


def _chooser_candidates(domain: Domain, query: str) -> tuple[list[DirUser], bool]:
    """Up to a page of the domain's users: super admins first, then by email; `query` filters.

    Two index-friendly queries rather than one ORDER BY is_admin over a 100,000-user domain.
    """
    users = people_matching(DirUser.objects.filter(domain=domain, deleted_at__isnull=True), query)
    admins = list(users.filter(is_admin=True).order_by("primary_email", "id")[:CHOOSER_PAGE_SIZE])
    rest = list(
        users.filter(is_admin=False).order_by("primary_email", "id")[
            : CHOOSER_PAGE_SIZE - len(admins) + 1
        ]
    )
    more = len(admins) + len(rest) > CHOOSER_PAGE_SIZE
    return (admins + rest)[:CHOOSER_PAGE_SIZE], more


@page_view
@require_http_methods(["GET", "POST"])
def chooser(request: HttpRequest):
    source = request.POST if request.method == "POST" else request.GET
    continue_url = safe_continue(source.get("continue"), MARKETPLACE)
    purpose = source.get("purpose", "")
    if request.method == "POST":
        return _choose(request, continue_url)
    domains = list(Domain.objects.order_by("name"))
    domain = _chooser_domain(request, domains)
    query = request.GET.get("q", "").strip()
    candidates, more = _chooser_candidates(domain, query) if domain else ([], False)
    signed = [u for u in signed_in_users(request) if domain and u.domain_id == domain.pk]
    return render_page(
        request,
        "chooser.html",
        {
            "domains": domains,
            "domain": domain,
            "domain_locked": bool(request.GET.get("hd")),
            "query": query,
            "candidates": candidates,
            "more": more,
            "signed_accounts": signed,
            "continue_url": continue_url,
            "purpose": purpose,
            "purpose_text": PURPOSES.get(purpose, "").format(product=settings.PRODUCT_NAME),
        },
    )


def _choose(request: HttpRequest, continue_url: str):
    account_id = request.POST.get("account", "").strip()
    user = (
        DirUser.objects.select_related("domain")
        .filter(google_id=account_id)
        .order_by("deleted_at")
        .first()
    )
    problem = sign_in_problem(user)
    if problem == "suspended":
        return error_page(
            request,
            status=403,
            title="Account disabled",
            message=f"{user.primary_email} has been suspended by an administrator of "
            f"{user.domain.name}. Suspended accounts cannot sign in.",
            back_url=chooser_url(continue_url, domain=user.domain.name),
        )
    if problem:
        return error_page(
            request,
            status=404,
            title="Couldn't find your Google Account",
            message="This account does not exist or has been deleted.",
            back_url=chooser_url(continue_url),
        )
    cookies.account_sign_in(request, user.google_id)
    operations.user_record_login(email=user.google_id)
    return redirect(with_params(continue_url, authuser=user.google_id))


@page_view
@require_POST
def sign_out(request: HttpRequest):
    cookies.accounts_sign_out(request)
    return redirect(safe_continue(request.POST.get("continue"), MARKETPLACE))


# ---------------------------------------------------------------------------------------------
# Marketplace


def _not_super_admin(request: HttpRequest, user: DirUser, continue_url: str):
    return error_page(
        request,
        status=403,
        title="You need to be a super administrator",
        message=f"{user.primary_email} is not a super administrator of {user.domain.name}. "
        "Only a super administrator can install an app for everyone in the domain. Sign in "
        "with a super administrator account, or ask one to install it.",
        back_url=chooser_url(continue_url, domain=user.domain.name, purpose="marketplace"),
        back_label="Use another account",
    )


def _key_missing(request: HttpRequest):
    return error_page(
        request,
        status=503,
        title="The sandbox has no service-account key",
        message="Hearth's service-account key file is missing. Run "
        "`python manage.py sandbox keygen` and reload this page.",
    )


@page_view
def listing(request: HttpRequest):
    account = signed_in_account(request, request.GET.get("authuser"))
    if account is None:
        account = next(iter(signed_in_users(request)), None)
    # the Marketplace shows an install at once; its delegation may still be taking effect
    installed = operations.install_state(account.domain) != "not installed" if account else False
    return render_page(
        request,
        "marketplace/listing.html",
        {
            "account": account,
            "installed": installed,
            "scopes": scope_descriptions(),
            "listing_url": MARKETPLACE,
        },
    )


@page_view
@require_http_methods(["GET", "POST"])
def install(request: HttpRequest):
    source = request.POST if request.method == "POST" else request.GET
    here = MARKETPLACE + "/install"
    account = signed_in_account(request, source.get("authuser"))
    if account is None:
        return redirect(chooser_url(here, purpose="marketplace"))
    if not account.is_admin:
        return _not_super_admin(request, account, here)
    if request.method == "POST":
        try:
            operations.install(domain=account.domain)
        except keys.KeyFileMissing:
            return _key_missing(request)
        return redirect(with_params(MARKETPLACE + "/done", authuser=account.google_id))
    return render_page(
        request,
        "marketplace/consent.html",
        {
            "account": account,
            "scopes": scope_descriptions(),
            "cancel_url": with_params(MARKETPLACE, authuser=account.google_id),
        },
    )


@page_view
def done(request: HttpRequest):
    account = signed_in_account(request, request.GET.get("authuser"))
    if account is None:
        return redirect(MARKETPLACE)
    return render_page(
        request,
        "marketplace/done.html",
        {
            "account": account,
            "installed": operations.install_state(account.domain) != "not installed",
            "listing_url": with_params(MARKETPLACE, authuser=account.google_id),
        },
    )


@page_view
@require_POST
def uninstall(request: HttpRequest):
    account = signed_in_account(request, request.POST.get("authuser"))
    if account is None:
        return redirect(chooser_url(MARKETPLACE, purpose="marketplace"))
    if not account.is_admin:
        return _not_super_admin(request, account, MARKETPLACE)
    try:
        operations.uninstall(domain=account.domain)
    except keys.KeyFileMissing:
        return _key_missing(request)
    response = redirect(with_params(MARKETPLACE, authuser=account.google_id))
    return cookies.flash_set(
        response, f"{settings.PRODUCT_NAME} was uninstalled from {account.domain.name}."
    )
