"""Which URLs carry secrets, and what follows from it for logs and response headers.

Some of Hearth's URLs are credentials: the finalize link emailed to a G Suite admin, an admin
invitation, allauth's email-confirmation and password-reset keys. Whoever reads such a URL can
use it. This module is the one place that knows which URLs they are: the routes of the URLconf
with a parameter named in SECRET_URL_PARAMETERS (found by walking the URLconf, so a new route
`<str:token>` is covered without a change here). Two consumers:

- logging (config/logging.py): `redact_secrets()` replaces those path segments, and the values
  of secret query parameters (an OAuth `code`, a secret URL passed in `?next=`), with
  "[redacted]" in every log line —
  django-structlog's request events, Django's "Not Found: /path" and runserver's access lines;
- `SecurityHeadersMiddleware`: their responses carry `Referrer-Policy: strict-origin` instead of
  the global `same-origin`, so the URL never travels in a Referer header, not even to Hearth's
  own static files: at most the origin does. Not `no-referrer`: under it a browser sends
  `Origin: null` with the page's form posts (Fetch standard), which Django's CSRF check rightly
  refuses — the invitation, email-confirmation and new-password forms would all fail.

The same middleware exempts the Google sandbox's pages from Hearth's Content-Security-Policy
(they are a test tool with inline scripts, served by their own server, never in production) and
lets the support console show sent emails as they were sent (see `_EMAIL_PREVIEW_VIEWS`).
"""

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

# Route parameters whose value is a credential: the finalize and invitation tokens, allauth's
# confirmation and reset keys (uidb36 names the account the reset key is for).
SECRET_URL_PARAMETERS = frozenset({"token", "key", "uidb36"})
# Query parameters whose value is a credential (an OAuth authorization code, its state, ...).
SECRET_QUERY_PARAMETERS = frozenset(
    {"code", "state", "token", "key", "password", "secret", "access_token", "id_token"}
)
REDACTED = "[redacted]"
SECRET_PAGE_REFERRER_POLICY = "strict-origin"  # see the module docstring

# A URL or an absolute path inside a log message: "GET /invitations/abc/ HTTP/1.1",
# "Not Found: /g-suite/...", "https://hearth.example/accounts/confirm-email/abc/".
_URL_IN_TEXT = re.compile(r"(?P<origin>https?://[^/\s\"'<>]+)?(?P<path>/[^\s\"'<>]*)")


@dataclass(frozen=True)
class SecretRoute:
    name: str
    regex: re.Pattern  # matches a request path (leading "/") from its start


def secret_routes() -> tuple[SecretRoute, ...]:
    return _secret_routes(settings.ROOT_URLCONF)


@functools.cache
def _secret_routes(urlconf: str) -> tuple[SecretRoute, ...]:
    return tuple(_walk(get_resolver(urlconf).url_patterns, prefix=""))


def _walk(patterns, *, prefix: str):
    for pattern in patterns:
        piece = pattern.pattern.regex.pattern.removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix=prefix + piece)
        elif isinstance(pattern, URLPattern):
            full = "^/" + prefix + piece
            if SECRET_URL_PARAMETERS & re.compile(full).groupindex.keys():
                # Up to the last secret only: a longer or shorter path (a typo, a missing
                # slash) answers 404 but still carries the secret in its log line.
                yield SecretRoute(name=pattern.name or piece, regex=re.compile(_up_to_secret(full)))


def _up_to_secret(pattern: str) -> str:
    """The regex cut right after its last group named in SECRET_URL_PARAMETERS."""
    start = max(pattern.rfind(f"(?P<{name}>") for name in SECRET_URL_PARAMETERS)
    depth, position, in_class = 0, start, False
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pattern[: position + 1]
        position += 1
    raise ValueError(f"unbalanced URL pattern {pattern!r}")


def carries_secret(url: str) -> bool:
    """Whether this path (with its query, or a whole URL) carries a secret."""
    return redact_secrets(url) != url


def redact_url(url: str) -> str:
    """The path (or URL) with its secret segments and secret query values replaced."""
    path, separator, query = url.partition("?")
    if query:
        query = "&".join(_redact_query_pair(pair) for pair in query.split("&"))
    return _redact_path(path) + separator + query


def redact_secrets(text: str) -> str:
    """Every URL or path inside a log message, redacted."""
    if "/" not in text:
        return text
    return _URL_IN_TEXT.sub(
        lambda m: (m.group("origin") or "") + redact_url(m.group("path")), text
    )


def _redact_query_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not equals:
        return pair
    if name.lower() in SECRET_QUERY_PARAMETERS:
        return f"{name}={REDACTED}"
    # A secret URL passed along, encoded: "/accounts/login/?next=%2Finvitations%2F<token>%2F".
    decoded = unquote_plus(value)
    if "/" in decoded:
        redacted = redact_secrets(decoded)
        if redacted != decoded:
            return f"{name}={quote(redacted, safe='/[]')}"
    return pair


def _redact_path(path: str) -> str:
    if not path.startswith("/"):
        return path
    return _redact_path_in(path, settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=4096)  # the same paths come again and again (request logs)
def _redact_path_in(path: str, urlconf: str) -> str:
    try:
        match = resolve(path, urlconf=urlconf)
    except Resolver404:
        pass  # a 404 under a secret route ("/invitations/<token>/typo") still carries it
    else:
        if not SECRET_URL_PARAMETERS & match.kwargs.keys():
            return path  # e.g. /invitations/new/: no secret, nothing to hide
    for route in _secret_routes(urlconf):
        found = route.regex.match(path)
        if found:
            return _replace_groups(path, found)
    return path


def _replace_groups(path: str, found: re.Match) -> str:
    spans = sorted(
        found.span(name) for name in SECRET_URL_PARAMETERS & found.re.groupindex.keys()
    )
    redacted, end = [], 0
    for start, stop in spans:
        if start < 0:
            continue
        redacted += [path[end:start], REDACTED]
        end = stop
    return "".join(redacted) + path[end:]


# The support console's EmailLog pages show each sent HTML email in a sandboxed srcdoc iframe.
# Emails are styled with inline style attributes only (mail clients ignore anything else), and
# a srcdoc document inherits the page's policy, so these pages alone also allow inline style
# *attributes* (never <style> elements, never scripts: style attributes cannot run code).
_EMAIL_PREVIEW_VIEWS = re.compile(r"^notifications_emaillog_change$")


class SecurityHeadersMiddleware:
    """Response headers that depend on the request: see the module docstring.

    Sits after django.middleware.security.SecurityMiddleware and csp's CSPMiddleware in
    MIDDLEWARE, so that it sees the response first: both only fill in headers not yet set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "is_google_sandbox", False):
            response._csp_exempt = True
            return response
        if carries_secret(request.get_full_path()):
            response.headers["Referrer-Policy"] = SECRET_PAGE_REFERRER_POLICY
        view = getattr(request, "resolver_match", None)
        if view and view.namespace == "admin" and _EMAIL_PREVIEW_VIEWS.match(view.url_name or ""):
            response._csp_update = {"style-src-attr": ["'unsafe-inline'"]}
        return response
