"""An error page under production settings shows nothing secret, and neither do its logs."""

from tests.hardening.production import SECRETS, requests_in_production


def test_a_500_shows_and_logs_no_secret(tmp_path):
    token = "invitation-token-Xz81Pq0Lm2Nb"
    # The invitation page needs the database, which does not answer: a 500.
    (response,), printed = requests_in_production(tmp_path, f"/invitations/{token}/")

    assert response["status"] == 500
    body = response["body"]
    assert "Server Error" in body and "Traceback" not in body and "OperationalError" not in body
    # The error page carries the same headers as every page, and its URL's referrer policy.
    assert "script-src 'self'" in response["headers"]["Content-Security-Policy"]
    assert response["headers"]["Referrer-Policy"] == "strict-origin"
    # The failure is logged, with its traceback ...
    assert "Internal Server Error: /invitations/[redacted]/" in printed
    assert "OperationalError" in printed
    # ... and nothing secret, on the page or in the logs.
    for what, secret in {**SECRETS, "invitation token": token}.items():
        assert secret not in body, f"the {what} is on the error page"
        assert secret not in printed, f"the {what} is in the logs"
