"""Hearth under its production settings, in a separate process (settings are read once).

`run_in_production()` runs `python ...` with DJANGO_SETTINGS_MODULE=config.settings.production
and production-like values holding distinctive secrets (SECRETS), so a test can look for them
in what the process printed; `requests_in_production()` serves requests there. The database
and Redis addresses do not answer: nothing here needs them, or a test wants their failure.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

SECRETS = {
    "SECRET_KEY": "x9!k2#pL7@qR4$vT8^wZ1&yB5*nM3(cF6)hJ0_dS-aG+eU=iO{oP}lK[jH]gY|fX",
    "database password": "db-pa55-Qm7Zr2Vt",
    "SMTP password": "smtp-pa55-Lk4Hs8Wn",
    "OIDC client secret": "oidc-secret-Bv6Tq1Xe",
    "service-account private key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Hearth",
}


def production_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    key_file = tmp_path / "google-service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": "hearth@hearth-project.iam.gserviceaccount.com",
                "private_key": "-----BEGIN PRIVATE KEY-----\n"
                + SECRETS["service-account private key"]
                + "\n-----END PRIVATE KEY-----\n",
            }
        )
    )
    # The suite allows async-unsafe ORM calls for Playwright; a deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": SECRETS["SECRET_KEY"],
        # Port 1 refuses at once: a request that needs the database fails (500) quickly.
        "DATABASE_URL": f"postgres://hearth:{SECRETS['database password']}@127.0.0.1:1/hearth",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "CACHE_URL": "redis://127.0.0.1:1/1",
        "ALLOWED_HOSTS": "hearth.example.com",
        "SITE_URL": "https://hearth.example.com",
        "EMAIL_URL": f"smtp+tls://mailer:{SECRETS['SMTP password']}@smtp.example.com:587",
        "GOOGLE_OIDC_CLIENT_ID": "hearth-oidc-client.apps.googleusercontent.com",
        "GOOGLE_OIDC_CLIENT_SECRET": SECRETS["OIDC client secret"],
        "GOOGLE_SERVICE_ACCOUNT_KEY_FILE": str(key_file),
        **overrides,
    }


def run_in_production(tmp_path: Path, arguments: list[str], **overrides: str):
    """`python <arguments>` in the project under production settings."""
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=production_environment(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


# Requests served in that process by the test client (https, the production host); prints one
# JSON line per path: status, headers and body.
REQUESTS_SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
for path in sys.argv[1:]:
    response = client.get(path, secure=True, headers={"host": "hearth.example.com"})
    print(json.dumps({"path": path, "status": response.status_code,
                      "headers": dict(response.headers), "body": response.content.decode()}))
"""


def requests_in_production(tmp_path: Path, *paths: str) -> tuple[list[dict], str]:
    """Each path's response (status, headers, body) and everything the process logged (the
    logs go to stderr; stdout carries the responses only)."""
    result = run_in_production(tmp_path, ["-c", REQUESTS_SCRIPT, *paths])
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr
