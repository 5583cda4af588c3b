"""Marketplace install (domain-wide delegation of Hearth's scopes) and issued access tokens.

An install takes effect only after the domain's `install_delay_seconds` on the sandbox clock
(Google can take minutes to apply a Marketplace domain install and its delegation): until then
the token endpoint answers `unauthorized_client`, exactly as when not installed. `seed(...,
install=True)` installs "long ago" (`delay_seconds=0`, already effective).
"""

import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q

from .. import clock, keys
from ..contract import hearth_client_id, hearth_scopes
from ..models import AccessToken, DirUser, Domain, Grant
from .common import domain_resolve, faults_of

ACCESS_TOKEN_LIFETIME = timedelta(seconds=3600)


@transaction.atomic
def install(
    *,
    domain: "Domain | str",
    client_id: str | None = None,
    scopes=None,
    delay_seconds: float | None = None,
) -> Grant:
    """Domain install from the Marketplace: a domain-wide grant of Hearth's scopes.

    Takes effect after `delay_seconds` (default: the domain's install delay). Installing again
    while installed changes the scopes at once and keeps the grant in effect.
    """
    domain = domain_resolve(domain)
    client_id = client_id or hearth_client_id()
    now = clock.now()
    if delay_seconds is None:
        delay_seconds = faults_of(domain).install_delay_seconds
    existing = Grant.objects.filter(domain=domain, client_id=client_id).first()
    effective_at = now + timedelta(seconds=float(delay_seconds))
    if existing is not None and grant_effective(existing):
        effective_at = min(effective_at, existing.effective_at or existing.created_at)
    grant, _ = Grant.objects.update_or_create(
        domain=domain,
        client_id=client_id,
        defaults={
            "scopes": list(scopes if scopes is not None else hearth_scopes()),
            "created_at": existing.created_at if existing else now,
            "effective_at": effective_at,
        },
    )
    return grant


def grant_effective(grant: Grant) -> bool:
    return grant.effective_at is None or grant.effective_at <= clock.now()


def uninstall(*, domain: "Domain | str", client_id: str | None = None) -> bool:
    domain = domain_resolve(domain)
    deleted, _ = Grant.objects.filter(
        domain=domain, client_id=client_id or hearth_client_id()
    ).delete()
    # tokens already issued under the grant stop working, as at Google after removal
    AccessToken.objects.filter(domain=domain).delete()
    return bool(deleted)


def install_state(domain: "Domain | str") -> str:
    """"installed", "pending" (installed, not in effect yet) or "not installed"."""
    domain = domain_resolve(domain)
    try:
        client_id = hearth_client_id()
    except keys.KeyFileMissing:
        return "not installed"
    grant = Grant.objects.filter(domain=domain, client_id=client_id).first()
    if grant is None:
        return "not installed"
    return "installed" if grant_effective(grant) else "pending"


def is_installed(domain: "Domain | str") -> bool:
    """Installed and in effect (a pending install is not installed yet, as the token says)."""
    return install_state(domain) == "installed"


def grant_in_effect(domain: Domain, client_id: str) -> Grant | None:
    return (
        Grant.objects.filter(domain=domain, client_id=client_id)
        .filter(Q(effective_at__isnull=True) | Q(effective_at__lte=clock.now()))
        .first()
    )


def access_token_issue(
    *, domain: Domain | None, subject: DirUser | None, subject_email: str, client_id: str, scopes
) -> AccessToken:
    # real time: the clients holding the token expire it on real time too
    now = datetime.now(UTC)
    return AccessToken.objects.create(
        token="ya29.sandbox-" + secrets.token_urlsafe(48),
        domain=domain,
        subject=subject,
        subject_email=subject_email,
        client_id=client_id,
        scopes=list(scopes),
        expires_at=now + ACCESS_TOKEN_LIFETIME,
        created_at=now,
    )
