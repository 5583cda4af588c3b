"""The token endpoint through the real google-auth, and its errors exactly as Google's."""

import json
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request

from googlesandbox.models import AccessToken

ADMIN = "admin@acme.example"
UNAUTHORIZED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)


def _assertion(key_file, *, private_key=None, **claims):
    info = json.loads(key_file.read_text())
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "sub": ADMIN,
        "scope": "https://www.googleapis.com/auth/admin.directory.user.readonly",
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    key = private_key or info["private_key"]
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": info["private_key_id"]})


def _post(sandbox, assertion):
    return requests.post(
        sandbox.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=10,
    )


def test_google_auth_gets_a_token_bound_to_domain_subject_and_scopes(google_sandbox):
    google_sandbox.seed(users=5)
    credentials = google_sandbox.credentials(ADMIN)
    credentials.refresh(Request())
    assert credentials.token.startswith("ya29.")
    token = AccessToken.objects.get(token=credentials.token)
    assert token.domain.name == "acme.example"
    assert token.subject.primary_email == ADMIN
    assert set(token.scopes) == set(google_sandbox.ops.hearth_scopes())


def test_success_body_is_googles(google_sandbox):
    google_sandbox.seed(users=5)
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file))
    assert answer.status_code == 200
    body = answer.json()
    assert body["expires_in"] == 3599
    assert body["token_type"] == "Bearer"
    assert set(body) == {"access_token", "expires_in", "token_type"}


def test_own_token_uri_is_an_accepted_audience(google_sandbox):
    google_sandbox.seed(users=5)
    answer = _post(
        google_sandbox, _assertion(google_sandbox.key_file, aud=google_sandbox.token_uri)
    )
    assert answer.status_code == 200


def test_not_installed_is_401_unauthorized_client(google_sandbox):
    google_sandbox.seed(users=5, install=False)
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file))
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized_client", "error_description": UNAUTHORIZED}
    with pytest.raises(RefreshError) as caught:
        google_sandbox.credentials(ADMIN).refresh(Request())
    assert "unauthorized_client" in str(caught.value)


def test_scope_outside_the_grant_is_401_unauthorized_client(google_sandbox):
    google_sandbox.seed(users=5)
    assertion = _assertion(
        google_sandbox.key_file, scope="https://www.googleapis.com/auth/admin.directory.user"
    )
    answer = _post(google_sandbox, assertion)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized_client"


def test_unknown_subject_is_400_invalid_grant(google_sandbox):
    google_sandbox.seed(users=5)
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file, sub="nobody@acme.example"))
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid email or User ID",
    }
    with pytest.raises(RefreshError, match="invalid_grant"):
        google_sandbox.credentials("ghost@acme.example").refresh(Request())


def test_subject_in_an_unknown_domain_is_400_invalid_grant(google_sandbox):
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file, sub="a@elsewhere.example"))
    assert answer.status_code == 400
    assert answer.json()["error_description"] == "Invalid email or User ID"


def test_bad_signature_is_400_invalid_grant(google_sandbox):
    google_sandbox.seed(users=5)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file, private_key=other))
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid JWT Signature.",
    }


def test_expired_assertion_is_400_invalid_grant(google_sandbox):
    google_sandbox.seed(users=5)
    old = int(time.time()) - 7200
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file, iat=old, exp=old + 3600))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert "iat and exp" in answer.json()["error_description"]


def test_unsupported_grant_type(google_sandbox):
    answer = requests.post(google_sandbox.token_uri, data={"grant_type": "password"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_suspended_subject_cannot_get_a_token(google_sandbox):
    google_sandbox.seed(users=5, admins=2)
    google_sandbox.ops.user_suspend(email="admin2@acme.example")
    answer = _post(google_sandbox, _assertion(google_sandbox.key_file, sub="admin2@acme.example"))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
