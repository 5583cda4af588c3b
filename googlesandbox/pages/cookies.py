"""The sandbox's own browser state: one signed cookie, never Django sessions or Django's CSRF.

Why its own cookie: browsers share cookies across the ports of 127.0.0.1, so the sandbox
(port 8001) and Hearth (port 8000) see each other's cookies. A Django session or CSRF cookie
written by the sandbox would replace Hearth's and sign the Hearth admin out. The sandbox
therefore keeps its emulated Google sign-in in `gsandbox_account`, a cookie signed with
django.core.signing (tamper-proof; no server-side storage) holding:
- `b`: a random browser id, minted on the first visit;
- `a`: the ids (Directory user ids) of the accounts signed in on this browser, most recent
  first — like Google, several accounts of several domains can be signed in at once.

Forms: the sandbox views are csrf_exempt (Django's CSRF middleware would need its cookie) and
check instead a hidden `gs_token` field: an HMAC of the browser id, so a form posted from
another site (which cannot read our cookie) fails. `form_token`/`form_token_valid` do it.

A one-shot `gsandbox_flash` cookie carries a confirmation message across a redirect (Django's
messages framework would write into Hearth's session).
"""

import secrets
from dataclasses import dataclass, field

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

ACCOUNT_COOKIE = "gsandbox_account"
FLASH_COOKIE = "gsandbox_flash"
FORM_TOKEN_FIELD = "gs_token"
MAX_ACCOUNTS = 10
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
_SALT = "googlesandbox.pages.account"
_FLASH_SALT = "googlesandbox.pages.flash"
_FORM_SALT = "googlesandbox.pages.form"


@dataclass
class BrowserState:
    browser_id: str
    account_ids: list[str] = field(default_factory=list)
    changed: bool = False


def browser_state(request: HttpRequest) -> BrowserState:
    """The (verified) cookie state of this request's browser; a fresh one if absent/tampered.

    Cached on the request so that a view changing it and the response writer agree.
    """
    state = getattr(request, "_gsandbox_state", None)
    if state is not None:
        return state
    state = None
    raw = request.COOKIES.get(ACCOUNT_COOKIE)
    if raw:
        try:
            data = signing.loads(raw, salt=_SALT, max_age=COOKIE_MAX_AGE)
            state = BrowserState(
                browser_id=str(data["b"]), account_ids=[str(a) for a in data.get("a", [])]
            )
        except (signing.BadSignature, KeyError, TypeError):
            state = None
    if state is None:
        state = BrowserState(browser_id=secrets.token_urlsafe(16), changed=True)
    request._gsandbox_state = state
    return state


def account_sign_in(request: HttpRequest, google_id: str) -> None:
    state = browser_state(request)
    state.account_ids = [google_id, *(a for a in state.account_ids if a != google_id)][
        :MAX_ACCOUNTS
    ]
    state.changed = True


def accounts_sign_out(request: HttpRequest) -> None:
    state = browser_state(request)
    state.account_ids = []
    state.changed = True


def state_write(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Write the account cookie when this request minted or changed it; drop a shown flash."""
    state = browser_state(request)
    if state.changed:
        response.set_cookie(
            ACCOUNT_COOKIE,
            signing.dumps({"b": state.browser_id, "a": state.account_ids}, salt=_SALT),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
        )
    if getattr(request, "_gsandbox_flash_consumed", False) and not response.cookies.get(
        FLASH_COOKIE
    ):
        response.delete_cookie(FLASH_COOKIE, samesite="Lax")
    return response


def form_token(request: HttpRequest) -> str:
    return salted_hmac(_FORM_SALT, browser_state(request).browser_id).hexdigest()


def form_token_valid(request: HttpRequest) -> bool:
    """A POST carries the token of the browser id in its (pre-existing) cookie."""
    if ACCOUNT_COOKIE not in request.COOKIES or browser_state(request).changed:
        # a freshly minted id cannot be what the page was rendered with
        return False
    return constant_time_compare(request.POST.get(FORM_TOKEN_FIELD, ""), form_token(request))


def flash_set(response: HttpResponse, message: str, *, kind: str = "ok") -> HttpResponse:
    """Show `message` on the next page ("ok" or "error")."""
    response.set_cookie(
        FLASH_COOKIE,
        signing.dumps([kind, message], salt=_FLASH_SALT),
        max_age=60,
        httponly=True,
        samesite="Lax",
    )
    return response


def flash_pop(request: HttpRequest) -> dict | None:
    """The pending message as {"kind", "message"}; `state_write` forgets it with the response."""
    raw = request.COOKIES.get(FLASH_COOKIE)
    if not raw:
        return None
    request._gsandbox_flash_consumed = True
    try:
        kind, message = signing.loads(raw, salt=_FLASH_SALT, max_age=120)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return {"kind": str(kind), "message": str(message)}
