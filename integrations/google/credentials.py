"""Service-account credentials with domain-wide delegation: Hearth acting as the sync account.

The key file is Google's JSON format (settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE). Its `token_uri`
is replaced by settings.GOOGLE_TOKEN_URI, so the same code talks to Google or to the sandbox;
the subject (`sub`) is the sync account's email.
"""

import json
from pathlib import Path

from django.conf import settings
from google.oauth2 import service_account

from integrations.errors import GoogleUnknownError

from .scopes import GOOGLE_SCOPES

_key_cache: dict[tuple, dict] = {}


def _key_info() -> dict:
    path = Path(settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise GoogleUnknownError(
            f"The service-account key file {path} is missing.",
            fix="Ask support to configure the service-account key.",
        ) from exc
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _key_cache:
        _key_cache.clear()
        _key_cache[key] = json.loads(path.read_text())
    return _key_cache[key]


def credentials_for(*, subject: str, scopes=GOOGLE_SCOPES) -> service_account.Credentials:
    """Credentials that act as `subject` (the sync account) with Hearth's scopes."""
    info = {**_key_info(), "token_uri": settings.GOOGLE_TOKEN_URI}
    return service_account.Credentials.from_service_account_info(
        info, scopes=list(scopes), subject=subject
    )
