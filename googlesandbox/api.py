"""The request pipeline shared by every Directory and Reports API view.

Per call, in Google's order of checks:
1. `Authorization: Bearer <token>` must be present (401 "Login Required.") and name a live
   sandbox access token (401 invalid credentials) — one query loads the token with its domain,
   the domain's fault settings and the subject;
2. Google's limits and fault injection for the domain (googlesandbox/faults.py): a slot of
   the account's concurrent-request limit, held until the response is built, then latency,
   the per-minute sliding window and random errors;
3. API access on for the domain (403 "Domain cannot use apis.");
4. the token's scopes cover the method (403 insufficient scopes);
5. the subject is a live admin of the domain (403 "Not Authorized to access this resource/api");
6. the view runs; an `ApiError` anywhere becomes Google's JSON error body.

Views are csrf_exempt (bearer-token APIs carry no cookies to forge) and login_not_required
(Hearth's login rules do not apply to the emulated Google).
"""

import base64
import functools
import json
from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import clock, errors
from .faults import concurrency_slot, faults_apply
from .models import AccessToken, DirUser, Domain, DomainName, Faults

SCOPE_PREFIX = "https://www.googleapis.com/auth/"


def scopes(*names: str) -> frozenset[str]:
    return frozenset(SCOPE_PREFIX + name for name in names)


USER_READ = scopes(
    "admin.directory.user", "admin.directory.user.readonly", "cloud-platform"
)
GROUP_READ = scopes("admin.directory.group", "admin.directory.group.readonly")
MEMBER_READ = GROUP_READ | scopes(
    "admin.directory.group.member", "admin.directory.group.member.readonly"
)
ORGUNIT_READ = scopes("admin.directory.orgunit", "admin.directory.orgunit.readonly")
CUSTOMER_READ = scopes("admin.directory.customer", "admin.directory.customer.readonly")
CHANNEL_STOP = USER_READ | scopes(
    "admin.directory.user.alias", "admin.directory.user.alias.readonly"
)
REPORTS_READ = scopes("admin.reports.audit.readonly")


@dataclass
class ApiContext:
    token: AccessToken
    domain: Domain
    subject: DirUser
    base_url: str  # e.g. "http://127.0.0.1:8001/"
    faults: Faults

    def page_token_encode(self, payload: list) -> str:
        return page_token_encode(payload)

    def page_token_decode(self, token: str, *, kind: str) -> list:
        return page_token_decode(token, kind=kind, ttl_seconds=self.faults.page_token_ttl_seconds)


def api_view(accepted_scopes: frozenset[str], methods=("GET",)):
    def decorate(view):
        @csrf_exempt
        @login_not_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise errors.ApiError(405, "Method Not Allowed", "httpMethodNotAllowed")
                token = _authenticate(request)
                domain = token.domain
                if domain is None:
                    raise errors.not_authorized()
                faults = getattr(domain, "faults", None) or Faults.objects.get_or_create(
                    domain=domain
                )[0]
                with concurrency_slot(domain.pk, faults.concurrent_limit):
                    ctx = _authorize(request, token, faults, accepted_scopes)
                    return view(request, ctx, *args, **kwargs)
            except errors.ApiError as exc:
                return exc.response()

        return wrapper

    return decorate


def _authenticate(request: HttpRequest) -> AccessToken:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise errors.login_required()
    token = (
        AccessToken.objects.select_related("domain", "domain__faults", "subject")
        .filter(token=value.strip(), expires_at__gt=timezone.now())
        .first()
    )
    if token is None:
        raise errors.invalid_credentials()
    return token


def _request_key(request: HttpRequest) -> str:
    """What a call asks for, whatever its page: the method, the path and the query without the
    page token (tokens differ between runs; the nth call of the same listing does not)."""
    query = sorted((k, v) for k, v in request.GET.items() if k != "pageToken")
    return f"{request.method} {request.path} {query}"


def _authorize(
    request: HttpRequest, token: AccessToken, faults: Faults, accepted_scopes: frozenset[str]
) -> ApiContext:
    domain = token.domain
    faults_apply(
        faults,
        client_id=token.client_id,
        subject=token.subject_email,
        request_key=_request_key(request),
    )
    if not domain.api_access:
        raise errors.domain_cannot_use_apis()
    if not accepted_scopes & set(token.scopes):
        raise errors.insufficient_scopes()
    subject = token.subject
    if subject is None or not subject.is_admin or subject.suspended or subject.deleted_at:
        raise errors.not_authorized()
    return ApiContext(
        token=token,
        domain=domain,
        subject=subject,
        base_url=request.build_absolute_uri("/"),
        faults=faults,
    )


def check_customer(ctx: ApiContext, customer: str | None, domain_name: str | None) -> str | None:
    """users/groups.list need `customer` (my_customer or the id) or `domain` of the caller.

    Returns the domain name to restrict the listing to (`domain=` a secondary domain lists
    only its own people), or None for the whole customer.
    """
    if customer:
        if customer not in ("my_customer", ctx.domain.customer_id):
            raise errors.not_authorized()
        return None
    if domain_name:
        name = domain_name.lower()
        if name == ctx.domain.name:
            return name
        if DomainName.objects.filter(
            customer=ctx.domain, name=name, kind=DomainName.KIND_SECONDARY
        ).exists():
            return name
        raise errors.not_authorized()
    raise errors.bad_request("Bad Request", reason="badRequest")


def int_param(request: HttpRequest, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise errors.bad_request(f"Invalid value '{raw}'. Values must be integers.") from exc
    if not low <= value <= high:
        raise errors.bad_request(
            f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"
        )
    return value


def bool_param(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() == "true"


def page_token_encode(payload: list) -> str:
    """An opaque token: [kind, issued at (sandbox clock, epoch seconds), *position]."""
    stamped = [payload[0], int(clock.now().timestamp()), *payload[1:]]
    raw = json.dumps(stamped, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_token_decode(token: str, *, kind: str, ttl_seconds: float | None = None) -> list:
    """Decode a page token made for `kind` and younger than `ttl_seconds`; anything else
    (malformed, another listing's, expired) is Google's 400 (errors.page_token_invalid)."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, list) or payload[0] != kind:
            raise ValueError(kind)
        issued = float(payload[1])
    except (ValueError, IndexError, TypeError) as exc:
        raise errors.page_token_invalid() from exc
    if ttl_seconds is not None and clock.now().timestamp() - issued > ttl_seconds:
        raise errors.page_token_invalid()
    return payload[2:]


def json_response(payload: dict, status: int = 200) -> HttpResponse:
    # json.dumps directly: the resources hold only JSON types, and the hot path skips
    # DjangoJSONEncoder's per-object type dispatch
    return HttpResponse(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=UTF-8",
    )
