"""Production settings: Django's deployment checks pass, and what they imply is really sent.

Each test starts Hearth under config.settings.production in its own process, with production
values (tests/hardening/production.py).
"""

from tests.hardening.production import requests_in_production, run_in_production


def test_production_settings_pass_check_deploy(tmp_path):
    result = run_in_production(
        tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_sends_the_security_headers_on_pages_and_error_pages(tmp_path):
    token = "invitation-token-Rr5Tb7Yw"
    (not_found, secret_not_found), _logs = requests_in_production(
        tmp_path, "/no-such-page/", f"/invitations/{token}/typo/"
    )

    assert not_found["status"] == secret_not_found["status"] == 404
    headers = not_found["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] == "same-origin"
    assert secret_not_found["headers"]["Referrer-Policy"] == "strict-origin"
    directives = [part.split() for part in headers["Content-Security-Policy"].split(";")]
    csp = {name: values for name, *values in directives}
    assert csp["default-src"] == csp["script-src"] == csp["style-src"] == ["'self'"]
    assert csp["object-src"] == csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    # Sign in with Google posts a form that continues at Google; photos come from Google.
    assert csp["form-action"] == ["'self'", "https://accounts.google.com"]
    assert csp["img-src"] == [
        "'self'", "data:", "https://*.googleusercontent.com", "https://www.google.com"
    ]
    assert "127.0.0.1" not in headers["Content-Security-Policy"]  # the sandbox is local only


def test_production_refuses_a_cache_that_is_not_shared(tmp_path):
    # Rate limits counted per process would be multiplied by the number of processes.
    for cache_url in ("locmem://", "dummycache://"):
        result = run_in_production(tmp_path, ["manage.py", "check"], CACHE_URL=cache_url)

        assert result.returncode != 0
        assert "CACHE_URL must name a Redis shared by every process" in result.stderr
