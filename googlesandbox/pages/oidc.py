"""Emulated "Sign in with Google": OpenID Connect as allauth's `openid_connect` provider uses it.

Hearth configures the provider with server_url = settings.GOOGLE_OIDC_URL (the issuer) and
client id/secret settings.GOOGLE_OIDC_CLIENT_ID/SECRET. The flow, as at Google:
1. allauth fetches `<issuer>/.well-known/openid-configuration` (`discovery`);
2. it sends the browser to `authorization_endpoint` (`authorize`) with client_id, redirect_uri,
   response_type=code, scope, state, maybe nonce and PKCE (code_challenge, S256). An unknown
   client or an unregistered redirect_uri gets Google's error page (never a redirect); other
   problems are redirected back as `error=`. The visitor picks an account on the chooser
   (no password); suspended or deleted accounts are refused there;
3. the browser comes back to `redirect_uri?code=...&state=...`. The code is self-contained
   (django.core.signing: account, client, redirect_uri, nonce, PKCE challenge; 10 minutes)
   and single-use (a cache entry per code);
4. allauth POSTs the code to the shared /token endpoint, where `authorization_code_grant` is
   registered through googlesandbox.token's grant-type hook: client authentication (post or
   basic), redirect_uri and PKCE are checked, the account must still be live, and the answer
   carries an access token plus an RS256 `id_token` (sub = the Directory user id, email,
   email_verified, name, given_name, family_name, picture, hd, nonce, at_hash);
5. allauth verifies the id_token against `jwks_uri` (`jwks`) and reads `userinfo`.

The signing key is generated once and stored next to Hearth's service-account key file (a
git-ignored location: `.local/` locally, a temporary directory in tests), mode 0600, never
committed; its `kid` is derived from the public key.
"""

import base64
import contextlib
import hashlib
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from .. import operations
from .. import token as token_endpoint
from ..models import AccessToken, DirUser
from .common import chooser_url, error_page, page_view, sign_in_problem, signed_in_account

SIGNING_KEY_FILENAME = "google-sandbox-oidc-signing-key.pem"
AUTHORIZE_PATH = "/o/oauth2/v2/auth"
USERINFO_PATH = "/v1/userinfo"
JWKS_PATH = "/oauth2/v3/certs"
SUPPORTED_SCOPES = ("openid", "email", "profile")
CODE_LIFETIME = 600
ID_TOKEN_LIFETIME = 3600
_CODE_SALT = "googlesandbox.pages.oidc.code"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# ---------------------------------------------------------------------------------------------
# the signing key


class SigningKey:
    def __init__(self, private_key):
        self.private_key = private_key
        self.public_key = private_key.public_key()
        der = self.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(der).hexdigest()[:40]

    def jwk(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        # Google's shape: kty, n, e, kid, alg, use (no key_ops)
        return {
            "kty": jwk["kty"],
            "n": jwk["n"],
            "e": jwk["e"],
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }


_key_cache: dict[tuple, SigningKey] = {}


def signing_key_path() -> Path:
    return Path(settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE).parent / SIGNING_KEY_FILENAME


def signing_key() -> SigningKey:
    """The sandbox's id_token signing key, generated on first use and then kept."""
    path = signing_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            # O_EXCL: two threads racing on the first request keep one key, never two
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    stat = path.stat()
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size)
    if cache_key not in _key_cache:
        if stat.st_size == 0:  # another thread is between creating and writing the file
            time.sleep(0.05)
            return signing_key()
        _key_cache[cache_key] = SigningKey(
            serialization.load_pem_private_key(path.read_bytes(), password=None)
        )
    return _key_cache[cache_key]


# ---------------------------------------------------------------------------------------------
# discovery and keys


def issuer() -> str:
    return settings.GOOGLE_OIDC_URL.rstrip("/")


def _json(payload: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@login_not_required
@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    base = issuer()
    return _json(
        {
            "issuer": base,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + USERINFO_PATH,
            "jwks_uri": base + JWKS_PATH,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": [
                "aud",
                "email",
                "email_verified",
                "exp",
                "family_name",
                "given_name",
                "hd",
                "iat",
                "iss",
                "name",
                "nonce",
                "picture",
                "sub",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", token_endpoint.JWT_BEARER],
        },
        Cache_Control="public, max-age=3600",
    )


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return _json({"keys": [signing_key().jwk()]}, Cache_Control="public, max-age=3600")


# ---------------------------------------------------------------------------------------------
# clients and redirect URIs


def client_known(client_id: str) -> bool:
    expected = settings.GOOGLE_OIDC_CLIENT_ID
    return bool(expected) and constant_time_compare(client_id, expected)


def _callback_paths() -> set[str]:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    paths = set()
    for provider_id in {app.get("provider_id") for app in apps} | {"google"}:
        with contextlib.suppress(NoReverseMatch):
            paths.add(
                reverse(
                    "openid_connect_callback",
                    kwargs={"provider_id": provider_id},
                    urlconf=settings.ROOT_URLCONF,
                )
            )
    return paths


def redirect_uri_registered(uri: str) -> bool:
    """Hearth's allauth callback, on Hearth's SITE_URL or on any loopback port.

    At Google the redirect URIs are registered with the OAuth client; here the registration is
    Hearth's callback path. Loopback hosts are accepted on any port (as Google does for
    loopback redirects) so that a live test server or another local port works.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.query or parts.fragment or parts.path not in _callback_paths():
        return False
    site = urlsplit(settings.SITE_URL)
    if (parts.scheme, parts.netloc) == (site.scheme, site.netloc):
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _redirect_back(redirect_uri: str, **params) -> HttpResponseRedirect:
    params = {k: v for k, v in params.items() if v}
    return HttpResponseRedirect(redirect_uri + "?" + urlencode(params))


# ---------------------------------------------------------------------------------------------
# the authorization endpoint


@page_view
@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    params = request.GET
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    if not client_known(client_id):
        return error_page(
            request,
            status=401,
            title="Access blocked: Authorization Error",
            message="The OAuth client was not found.",
            error_code="Error 401: invalid_client",
        )
    if not redirect_uri_registered(redirect_uri):
        return error_page(
            request,
            status=400,
            title="Access blocked: This app's request is invalid",
            message=f"The redirect URI in the request, {redirect_uri}, does not match the ones "
            "authorized for the OAuth client.",
            error_code="Error 400: redirect_uri_mismatch",
        )
    if params.get("response_type") != "code":
        return _redirect_back(redirect_uri, error="unsupported_response_type", state=state)
    scopes = [s for s in params.get("scope", "").split() if s]
    if "openid" not in scopes or not set(scopes) <= set(SUPPORTED_SCOPES):
        return _redirect_back(redirect_uri, error="invalid_scope", state=state)
    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "plain" if challenge else "")
    if challenge and method not in ("S256", "plain"):
        return _redirect_back(
            redirect_uri,
            error="invalid_request",
            error_description="Invalid code_challenge_method",
            state=state,
        )

    account = signed_in_account(request, params.get("authuser"))
    if account is None:
        # no account chosen yet: the chooser comes back here with authuser=<id>
        query = params.copy()
        query.pop("authuser", None)
        return redirect(
            chooser_url(
                f"{AUTHORIZE_PATH}?{query.urlencode()}",
                domain=params.get("hd") or None,
                purpose="oidc",
            )
        )
    if params.get("hd") and params["hd"].lower() != account.domain.name:
        return _redirect_back(redirect_uri, error="access_denied", state=state)
    code = "4/" + signing.dumps(
        {
            "u": account.google_id,
            "c": client_id,
            "r": redirect_uri,
            "s": scopes,
            "n": params.get("nonce", ""),
            "cc": challenge,
            "m": method,
            "j": secrets.token_urlsafe(12),
            "t": int(time.time()),
        },
        salt=_CODE_SALT,
        compress=True,
    )
    return _redirect_back(
        redirect_uri,
        state=state,
        code=code,
        scope=" ".join(scopes),
        authuser="0",
        hd=account.domain.name,
        prompt="consent",
    )


# ---------------------------------------------------------------------------------------------
# the authorization-code grant (registered on the shared /token endpoint)


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _pkce_ok(code: dict, verifier: str) -> bool:
    if not code.get("cc"):
        return True
    if not verifier:
        return False
    if code.get("m") == "S256":
        computed = _b64url(hashlib.sha256(verifier.encode()).digest())
    else:
        computed = verifier
    return constant_time_compare(computed, code["cc"])


def authorization_code_grant(request: HttpRequest) -> HttpResponse:
    oauth_error = token_endpoint.oauth_error
    client_id, secret = _client_credentials(request)
    if not client_known(client_id) or not constant_time_compare(
        secret, settings.GOOGLE_OIDC_CLIENT_SECRET
    ):
        return oauth_error(401, "invalid_client", "Unauthorized")
    raw = request.POST.get("code", "")
    try:
        code = signing.loads(raw.removeprefix("4/"), salt=_CODE_SALT, max_age=CODE_LIFETIME)
    except signing.BadSignature:
        return oauth_error(400, "invalid_grant", "Malformed auth code.")
    if code["c"] != client_id:
        return oauth_error(400, "invalid_grant", "Bad Request")
    if request.POST.get("redirect_uri", "") != code["r"]:
        return oauth_error(400, "redirect_uri_mismatch", "Bad Request")
    if not _pkce_ok(code, request.POST.get("code_verifier", "")):
        return oauth_error(400, "invalid_grant", "Invalid code verifier.")
    # single use: the first exchange claims the code
    if not cache.add(f"gsandbox:oidc-code:{code['j']}", 1, CODE_LIFETIME + 60):
        return oauth_error(400, "invalid_grant", "Bad Request")
    user = DirUser.objects.select_related("domain").filter(google_id=code["u"]).first()
    if sign_in_problem(user):
        return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    access = operations.access_token_issue(
        domain=user.domain,
        subject=user,
        subject_email=user.primary_email,
        client_id=client_id,
        scopes=code["s"],
    )
    id_token = id_token_issue(user, client_id=client_id, nonce=code["n"], access_token=access.token)
    return token_endpoint.token_response(access.token, scope=" ".join(code["s"]), id_token=id_token)


def _profile_claims(user: DirUser) -> dict:
    return {
        "name": user.full_name,
        "picture": f"{issuer()}/photos/{user.google_id}.svg",
        "given_name": user.given_name,
        "family_name": user.family_name,
    }


def id_token_issue(user: DirUser, *, client_id: str, nonce: str, access_token: str) -> str:
    now = int(time.time())
    digest = hashlib.sha256(access_token.encode()).digest()
    claims = {
        "iss": issuer(),
        "azp": client_id,
        "aud": client_id,
        "sub": user.google_id,
        "hd": user.domain.name,
        "email": user.primary_email,
        "email_verified": True,
        "at_hash": _b64url(digest[: len(digest) // 2]),
        **({"nonce": nonce} if nonce else {}),
        **_profile_claims(user),
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
    }
    key = signing_key()
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


token_endpoint.grant_type_register("authorization_code", authorization_code_grant)


# ---------------------------------------------------------------------------------------------
# userinfo


def _userinfo_error() -> JsonResponse:
    return _json(
        {"error": "invalid_request", "error_description": "Invalid Credentials"},
        status=401,
        WWW_Authenticate='Bearer realm="https://accounts.google.com/", error="invalid_token"',
    )


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> JsonResponse:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return _userinfo_error()
    access = (
        AccessToken.objects.select_related("subject", "subject__domain")
        .filter(token=value.strip(), expires_at__gt=timezone.now())
        .first()
    )
    if access is None or not set(access.scopes) & set(SUPPORTED_SCOPES):
        return _userinfo_error()
    user = access.subject
    if sign_in_problem(user):
        return _userinfo_error()
    info = {"sub": user.google_id}
    if "profile" in access.scopes:
        info.update(_profile_claims(user))
    if "email" in access.scopes:
        info.update(email=user.primary_email, email_verified=True)
    info["hd"] = user.domain.name
    return JsonResponse(info, json_dumps_params={"indent": 2})
