"""Hearth's service-account key, as Google issues it, and how the sandbox learns its public half.

At Google, creating a service-account key gives the customer a JSON file with the private key
while Google keeps the public key and the numeric client id. Offline there is no Google to keep
them, so `service_account_key_generate` writes the same JSON format (once, mode 0600, never
overwritten) and the sandbox reads that very file (`settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE`)
to learn the public key, `private_key_id`, `client_email` and `client_id`. That stands in for
Google's side of the key; Hearth itself only ever hands the file to google-auth.
"""

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

PROJECT_ID = "hearth-sandbox"
SERVICE_ACCOUNT_NAME = "hearth-sync"


class KeyFileMissing(Exception):
    pass


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    client_id: str
    private_key_id: str
    public_key: object  # cryptography RSAPublicKey
    project_id: str


def service_account_key_generate(path: str | os.PathLike, *, token_uri: str | None = None) -> bool:
    """Write a Google-format service-account JSON key to `path` if absent; True when written."""
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    client_id = str(100000000000000000000 + secrets.randbelow(10**20))
    client_email = f"{SERVICE_ACCOUNT_NAME}@{PROJECT_ID}.iam.gserviceaccount.com"
    info = {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": client_email,
        "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri or settings.GOOGLE_TOKEN_URI,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + client_email.replace("@", "%40"),
        "universe_domain": "googleapis.com",
    }
    # create with 0600 from the start: the private key is never world-readable, not even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh, indent=2)
    return True


_cache: dict[tuple, ServiceAccount] = {}


def service_account_known(path: str | os.PathLike | None = None) -> ServiceAccount:
    """The service account the sandbox recognises (public half of Hearth's key file)."""
    path = Path(path or settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise KeyFileMissing(
            f"{path} does not exist; run `python manage.py sandbox keygen`"
        ) from exc
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size)
    if cache_key not in _cache:
        info = json.loads(path.read_text())
        private_key = serialization.load_pem_private_key(
            info["private_key"].encode(), password=None
        )
        _cache[cache_key] = ServiceAccount(
            client_email=info["client_email"],
            client_id=str(info["client_id"]),
            private_key_id=info["private_key_id"],
            public_key=private_key.public_key(),
            project_id=info.get("project_id", PROJECT_ID),
        )
    return _cache[cache_key]
