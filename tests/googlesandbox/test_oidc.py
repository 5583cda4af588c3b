"""Emulated "Sign in with Google" over real HTTP against the live sandbox: discovery, the
authorize page (account chooser), the code exchange at /token, id_token verified with PyJWT
against the JWKS, userinfo — and the checks allauth's openid_connect provider relies on."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpResponse
from django.test import override_settings
from django.urls import reverse

from googlesandbox import operations
from googlesandbox.pages.cookies import FORM_TOKEN_FIELD
from googlesandbox.pages.oidc import signing_key_path

CLIENT_ID = settings.GOOGLE_OIDC_CLIENT_ID
SECRET = settings.GOOGLE_OIDC_CLIENT_SECRET
CALLBACK = settings.SITE_URL + reverse(
    "openid_connect_callback", kwargs={"provider_id": "google"}, urlconf=settings.ROOT_URLCONF
)


@pytest.fixture
def acme(google_sandbox):
    return google_sandbox.seed(users=8, groups=0, members_per_group=0, install=False).domain


def _person(domain):
    return domain.users.filter(is_admin=False, suspended=False).order_by("primary_email").first()


class Browser:
    """A requests session standing in for the visitor's browser on the sandbox."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, url, **params):
        full = url if url.startswith("http") else self.base + url
        return self.http.get(full, params=params, allow_redirects=False, timeout=10)

    def choose(self, chooser_location: str, user) -> requests.Response:
        page = self.get(chooser_location)
        assert page.status_code == 200, page.text
        token = re.search(r'name="gs_token" value="([^"]+)"', page.text).group(1)
        continue_url = parse_qs(urlsplit(chooser_location).query)["continue"][0]
        return self.http.post(
            self.base + "/signin/chooser",
            data={"account": user.google_id, "continue": continue_url, FORM_TOKEN_FIELD: token},
            allow_redirects=False,
            timeout=10,
        )


def _authorize_params(**extra):
    return {
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "st-" + secrets.token_urlsafe(8),
        **extra,
    }


def _sign_in(sandbox_url, user, **extra) -> tuple[dict, dict]:
    """authorize → chooser → back to authorize → redirect to the callback; (query, params)."""
    browser = Browser(sandbox_url)
    params = _authorize_params(**extra)
    answer = browser.get("/o/oauth2/v2/auth", **params)
    assert answer.status_code == 302
    chooser = answer.headers["Location"]
    assert chooser.startswith("/signin/chooser?")
    chosen = browser.choose(chooser, user)
    assert chosen.status_code == 302, chosen.text
    back = browser.get(chosen.headers["Location"])
    assert back.status_code == 302
    location = back.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return parse_qs(urlsplit(location).query), params


def test_discovery_document(google_sandbox):
    config = requests.get(
        google_sandbox.url + "/.well-known/openid-configuration", timeout=10
    ).json()
    issuer = settings.GOOGLE_OIDC_URL
    assert issuer == google_sandbox.url
    assert config["issuer"] == issuer
    assert config["authorization_endpoint"] == issuer + "/o/oauth2/v2/auth"
    assert config["token_endpoint"] == issuer + "/token"
    assert config["userinfo_endpoint"] == issuer + "/v1/userinfo"
    assert config["jwks_uri"] == issuer + "/oauth2/v3/certs"
    assert "openid" in config["scopes_supported"]
    assert {"sub", "email", "email_verified", "hd", "nonce"} <= set(config["claims_supported"])
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "S256" in config["code_challenge_methods_supported"]
    # allauth posts the client secret unless only basic is offered
    assert "client_secret_post" in config["token_endpoint_auth_methods_supported"]


def test_full_authorization_code_flow_with_id_token_verified_against_jwks(google_sandbox, acme):
    person = _person(acme)
    nonce = secrets.token_urlsafe(12)
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    query, params = _sign_in(
        google_sandbox.url,
        person,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert query["state"] == [params["state"]]
    assert query["hd"] == ["acme.example"]
    config = requests.get(
        google_sandbox.url + "/.well-known/openid-configuration", timeout=10
    ).json()

    tokens = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("ya29.")
    assert set(body["scope"].split()) == {"openid", "email", "profile"}

    jwks = jwt.PyJWKClient(config["jwks_uri"])
    signing = jwks.get_signing_key_from_jwt(body["id_token"])
    claims = jwt.decode(
        body["id_token"],
        signing.key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=config["issuer"],
    )
    assert claims["sub"] == person.google_id  # the Directory user id, as at Google
    assert claims["email"] == person.primary_email
    assert claims["email_verified"] is True
    assert claims["name"] == person.full_name
    assert claims["given_name"] == person.given_name
    assert claims["family_name"] == person.family_name
    assert claims["hd"] == "acme.example"
    assert claims["nonce"] == nonce
    assert claims["azp"] == CLIENT_ID
    assert jwt.get_unverified_header(body["id_token"])["kid"] == signing.key_id

    info = requests.get(
        config["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 200
    assert info.json()["sub"] == person.google_id
    assert info.json()["email"] == person.primary_email
    assert info.json()["hd"] == "acme.example"

    # a code is good once
    again = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_allauths_own_id_token_check_accepts_it(google_sandbox, acme):
    """allauth's jwtkit (what the openid_connect provider runs) verifies our id_token."""
    from allauth.socialaccount.internal import jwtkit

    query, _ = _sign_in(google_sandbox.url, _person(acme))
    body = requests.post(
        google_sandbox.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
        },
        auth=(CLIENT_ID, SECRET),  # client_secret_basic works too
        timeout=10,
    ).json()
    claims = jwtkit.verify_and_decode(
        credential=body["id_token"],
        keys_url=google_sandbox.url + "/oauth2/v3/certs",
        issuer=settings.GOOGLE_OIDC_URL,
        audience=[CLIENT_ID],
        lookup_kid=jwtkit.lookup_kid_jwk,
    )
    assert claims["sub"] == _person(acme).google_id


def test_a_suspended_user_cannot_sign_in(google_sandbox, acme):
    person = _person(acme)
    operations.user_suspend(email=person.primary_email)
    browser = Browser(google_sandbox.url)
    chooser = browser.get("/o/oauth2/v2/auth", **_authorize_params()).headers["Location"]
    refused = browser.choose(chooser, person)
    assert refused.status_code == 403
    assert "Account disabled" in refused.text
    assert "code=" not in refused.headers.get("Location", "")


def test_a_user_suspended_between_authorize_and_exchange_gets_no_tokens(google_sandbox, acme):
    person = _person(acme)
    query, _ = _sign_in(google_sandbox.url, person)
    operations.user_suspend(email=person.primary_email)
    answer = requests.post(
        google_sandbox.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
        },
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_deleted_user_loses_userinfo(google_sandbox, acme):
    person = _person(acme)
    query, _ = _sign_in(google_sandbox.url, person)
    body = requests.post(
        google_sandbox.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
        },
        timeout=10,
    ).json()
    operations.user_delete(email=person.primary_email)
    info = requests.get(
        google_sandbox.url + "/v1/userinfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 401


def test_unknown_client_and_unregistered_redirect_get_googles_error_pages(google_sandbox, acme):
    browser = Browser(google_sandbox.url)
    answer = browser.get("/o/oauth2/v2/auth", **_authorize_params(client_id="someone-else"))
    assert answer.status_code == 401
    assert "invalid_client" in answer.text
    answer = browser.get(
        "/o/oauth2/v2/auth",
        **_authorize_params(
            redirect_uri="https://evil.example/accounts/oidc/google/login/callback/"
        ),
    )
    assert answer.status_code == 400
    assert "redirect_uri_mismatch" in answer.text
    # a loopback port (a live test server, another local port) is accepted
    loopback = "http://127.0.0.1:8123" + urlsplit(CALLBACK).path
    answer = browser.get("/o/oauth2/v2/auth", **_authorize_params(redirect_uri=loopback))
    assert answer.status_code == 302


def test_token_endpoint_refuses_bad_secret_verifier_and_redirect(google_sandbox, acme):
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    query, _ = _sign_in(
        google_sandbox.url, _person(acme), code_challenge=challenge, code_challenge_method="S256"
    )
    good = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "code_verifier": verifier,
    }

    def post(**changes):
        return requests.post(google_sandbox.token_uri, data={**good, **changes}, timeout=10)

    assert post(client_secret="wrong").status_code == 401
    assert post(client_secret="wrong").json()["error"] == "invalid_client"
    assert post(code_verifier="not-the-verifier").json()["error"] == "invalid_grant"
    assert post(redirect_uri=CALLBACK + "x").json()["error"] == "redirect_uri_mismatch"
    assert post(code="4/garbage").json()["error"] == "invalid_grant"
    # none of the refused attempts used the code up
    assert post().status_code == 200


def test_bad_scope_or_response_type_is_redirected_back_with_an_error(google_sandbox, acme):
    browser = Browser(google_sandbox.url)
    answer = browser.get("/o/oauth2/v2/auth", **_authorize_params(response_type="token"))
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["unsupported_response_type"]
    answer = browser.get("/o/oauth2/v2/auth", **_authorize_params(scope="email"))
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_hd_limits_the_chooser_to_that_domain(google_sandbox, acme):
    google_sandbox.seed("other.example", users=3, groups=0, members_per_group=0, install=False)
    browser = Browser(google_sandbox.url)
    chooser = browser.get("/o/oauth2/v2/auth", **_authorize_params(hd="other.example"))
    page = browser.get(chooser.headers["Location"])
    assert "admin@other.example" in page.text
    assert "admin@acme.example" not in page.text


def test_signing_key_is_generated_once_and_kept_private(google_sandbox, acme):
    first = requests.get(google_sandbox.url + "/oauth2/v3/certs", timeout=10).json()
    second = requests.get(google_sandbox.url + "/oauth2/v3/certs", timeout=10).json()
    assert first == second
    assert len(first["keys"]) == 1
    assert {"kty", "kid", "n", "e", "alg", "use"} <= set(first["keys"][0])
    assert "d" not in first["keys"][0]  # never the private half
    path = signing_key_path()
    assert path.parent == google_sandbox.key_file.parent
    assert path.stat().st_mode & 0o777 == 0o600


def test_authorize_url_as_allauth_builds_it(google_sandbox, acme):
    """The exact parameter set allauth's OAuth2Client sends reaches the chooser."""
    browser = Browser(google_sandbox.url)
    query = urlencode(
        {
            "client_id": CLIENT_ID,
            "redirect_uri": CALLBACK,
            "scope": "profile openid email",
            "response_type": "code",
            "state": "abc",
        }
    )
    answer = browser.get(f"/o/oauth2/v2/auth?{query}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/signin/chooser?")


class RecordingSocialAdapter(DefaultSocialAccountAdapter):
    """Stands in for Hearth's adapter (whose sign-in rules are tested with User Management):
    it records what allauth's openid_connect provider made of the sandbox's answers."""

    seen: list = []

    def pre_social_login(self, request, sociallogin):
        self.seen.append(sociallogin)
        raise ImmediateHttpResponse(HttpResponse("reached the adapter"))


@override_settings(
    SOCIALACCOUNT_ADAPTER=f"{__name__}.RecordingSocialAdapter", SOCIALACCOUNT_STORE_TOKENS=False
)
def test_allauth_openid_connect_provider_completes_against_the_sandbox(
    google_sandbox, acme, client
):
    """Hearth's allauth round trip: Hearth → sandbox authorize → Hearth callback, where allauth
    exchanges the code at /token, verifies the id_token with the JWKS and reads userinfo."""
    RecordingSocialAdapter.seen.clear()
    person = _person(acme)
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "google"}))
    assert start.status_code == 302, start.content[:500]
    authorize = start["Location"]
    assert authorize.startswith(google_sandbox.url + "/o/oauth2/v2/auth?")
    browser = Browser(google_sandbox.url)
    chooser = browser.get(authorize).headers["Location"]
    chosen = browser.choose(chooser, person)
    callback = browser.get(chosen.headers["Location"]).headers["Location"]
    assert callback.startswith(CALLBACK + "?")
    done = client.get(urlsplit(callback).path + "?" + urlsplit(callback).query)
    assert done.content == b"reached the adapter", done.content[:2000]
    (sociallogin,) = RecordingSocialAdapter.seen
    assert sociallogin.account.provider == "google"
    assert sociallogin.account.uid == person.google_id
    assert sociallogin.account.extra_data["userinfo"]["email"] == person.primary_email
    assert sociallogin.account.extra_data["id_token"]["hd"] == "acme.example"
    assert [(e.email, e.verified) for e in sociallogin.email_addresses] == [
        (person.primary_email, True)
    ]
    assert sociallogin.user.first_name == person.given_name
