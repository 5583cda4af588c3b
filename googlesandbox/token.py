"""The OAuth 2.0 token endpoint (POST /token), dispatching by `grant_type`.

JWT bearer grant (service accounts with domain-wide delegation), as Google answers it:
1. decode the assertion's header and claims; the issuer must be the service account the sandbox
   knows (read from Hearth's key file — see googlesandbox/keys.py) → else 400 invalid_grant;
2. verify the RS256 signature with its public key → 400 invalid_grant "Invalid JWT Signature.";
3. check `aud` (google-auth always sends https://oauth2.googleapis.com/token; our own token URI
   is accepted too) and `iat`/`exp` (short-lived, in a reasonable timeframe);
4. the subject's domain must exist → else 400 invalid_grant "Invalid email or User ID";
   the domain must have granted this client id every requested scope, and the grant must be
   in effect (an install takes `install_delay_seconds` to apply) → else 401
   unauthorized_client; the subject must be a live user → else 400 invalid_grant;
5. issue an access token bound to (domain, subject, scopes), expiring in an hour.

Other grant types register a handler with `grant_type_register` — the pages package adds
`authorization_code` for the emulated "Sign in with Google" (OpenID Connect).

The view is csrf_exempt: it is a machine-to-machine endpoint authenticated by the signed
assertion (or client secret), never by a browser cookie, so there is no CSRF exposure — and
OAuth clients could not send a CSRF token anyway.
"""

import time
from collections.abc import Callable

import jwt
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import keys, operations

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300

UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
INVALID_SUBJECT = "Invalid email or User ID"
BAD_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)

GrantHandler = Callable[[HttpRequest], HttpResponse]
GRANT_TYPES: dict[str, GrantHandler] = {}


def grant_type_register(name: str, handler: GrantHandler) -> None:
    GRANT_TYPES[name] = handler


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@login_not_required
@require_POST
def token_view(request: HttpRequest) -> HttpResponse:
    grant_type = request.POST.get("grant_type", "")
    handler = GRANT_TYPES.get(grant_type)
    if handler is None:
        return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    return handler(request)


def jwt_bearer_grant(request: HttpRequest) -> HttpResponse:
    assertion = request.POST.get("assertion", "")
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return oauth_error(400, "invalid_grant", "Invalid JWT: malformed assertion.")
    try:
        account = keys.service_account_known()
    except keys.KeyFileMissing:
        return oauth_error(400, "invalid_grant", "Invalid grant: account not found")
    if claims.get("iss") != account.client_email:
        return oauth_error(400, "invalid_grant", "Invalid grant: account not found")
    if header.get("kid") not in (None, account.private_key_id):
        return oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
    try:
        claims = jwt.decode(
            assertion,
            account.public_key,
            algorithms=["RS256"],
            audience=[GOOGLE_TOKEN_AUDIENCE, settings.GOOGLE_TOKEN_URI],
            options={"require": ["iss", "aud", "iat", "exp"]},
            leeway=CLOCK_SKEW,
        )
    except jwt.InvalidSignatureError:
        return oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
    except jwt.InvalidAudienceError:
        return oauth_error(400, "invalid_grant", "Invalid JWT: Failed audience check.")
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
        return oauth_error(400, "invalid_grant", BAD_TIMEFRAME)
    except jwt.PyJWTError:
        return oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
    now = time.time()
    if claims["exp"] - claims["iat"] > MAX_ASSERTION_LIFETIME or claims["iat"] > now + CLOCK_SKEW:
        return oauth_error(400, "invalid_grant", BAD_TIMEFRAME)
    scopes = [s for s in str(claims.get("scope", "")).split(" ") if s]
    if not scopes:
        return oauth_error(400, "invalid_scope", "Empty or missing scope not allowed.")

    subject_email = str(claims.get("sub") or "").strip().lower()
    if not subject_email:
        token = operations.access_token_issue(
            domain=None,
            subject=None,
            subject_email=account.client_email,
            client_id=account.client_id,
            scopes=scopes,
        )
        return token_response(token.token)
    domain_name = subject_email.rsplit("@", 1)[-1]
    try:
        domain = operations.domain_resolve(domain_name)
    except operations.SandboxError:
        return oauth_error(400, "invalid_grant", INVALID_SUBJECT)
    # a grant not yet in effect (the install delay) answers exactly as no grant
    grant = operations.grant_in_effect(domain, account.client_id)
    if grant is None or not set(scopes) <= set(grant.scopes):
        return oauth_error(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
    subject = operations.user_find(subject_email, domain=domain)
    if subject is None or subject.suspended:
        return oauth_error(400, "invalid_grant", INVALID_SUBJECT)
    token = operations.access_token_issue(
        domain=domain,
        subject=subject,
        subject_email=subject.primary_email,
        client_id=account.client_id,
        scopes=scopes,
    )
    return token_response(token.token)


def token_response(access_token: str, **extra) -> JsonResponse:
    response = JsonResponse(
        {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer", **extra}
    )
    response["Cache-Control"] = "no-store"
    return response


grant_type_register(JWT_BEARER, jwt_bearer_grant)
