"""Service-account credentials with domain-wide delegation: Hearth acting as the sync account.

The key file is Google's JSON format (settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE). Its `token_uri`
is replaced by settings.GOOGLE_TOKEN_URI, so the same code talks to Google or to the sandbox;
the subject (`sub`) is the sync account's email.

A process keeps one Credentials object per sync account (and key file, token endpoint and
scopes), so its access token serves every run until it expires — Google's hour — instead of each
run parsing the private key and asking Google for a token: a real-time refresh is a single
`users.get`, and the token request would be a third of its time. Nothing is trusted longer than
Google does: a token Google stopped honouring (the grant removed, the key revoked) is answered
401, google-auth asks for a new one, and that refusal fails the run as it always did.
"""

import json
import threading
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from google.oauth2 import service_account

from integrations.errors import GoogleUnknownError

from .scopes import GOOGLE_SCOPES

# One per sync account a worker serves; the least recently used go first past this many.
CREDENTIALS_KEPT = 1000

_key_cache: dict[tuple, dict] = {}
_credentials: OrderedDict[tuple, service_account.Credentials] = OrderedDict()
_credentials_lock = threading.Lock()


def _key() -> tuple[tuple, dict]:
    """The key file's identity (path, mtime, size: a replaced key is read again) and contents."""
    path = Path(settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise GoogleUnknownError(
            f"The service-account key file {path} is missing.",
            fix="Ask support to configure the service-account key.",
        ) from exc
    identity = (str(path), stat.st_mtime_ns, stat.st_size)
    if identity not in _key_cache:
        _key_cache.clear()
        _key_cache[identity] = json.loads(path.read_text())
    return identity, _key_cache[identity]


def credentials_for(*, subject: str, scopes=GOOGLE_SCOPES) -> service_account.Credentials:
    """Credentials that act as `subject` (the sync account) with Hearth's scopes, shared by
    every run of this process for the same account (thread-safe: google-auth refreshes them
    under its own lock)."""
    identity, info = _key()
    cache_key = (subject.lower(), tuple(scopes), settings.GOOGLE_TOKEN_URI, identity)
    with _credentials_lock:
        credentials = _credentials.get(cache_key)
        if credentials is not None:
            _credentials.move_to_end(cache_key)
            return credentials
    credentials = service_account.Credentials.from_service_account_info(
        {**info, "token_uri": settings.GOOGLE_TOKEN_URI}, scopes=list(scopes), subject=subject
    )
    with _credentials_lock:
        credentials = _credentials.setdefault(cache_key, credentials)
        _credentials.move_to_end(cache_key)
        while len(_credentials) > CREDENTIALS_KEPT:
            _credentials.popitem(last=False)
    return credentials
