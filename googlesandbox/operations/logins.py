"""Sign-ins: people signing in to Google move their `lastLoginTime`, and so their etag.

Google changes a user's etag when they sign in, so a sync comparing etags sees every active
person who signed in as changed. With the domain's `login_push_update` (pessimistic, on by
default) a sign-in also sends a users.watch `update` push. Sign-ins record no admin activity
(Google logs them under the "login" application) and do not reach the search index.
"""

import random

from django.db import transaction

from .. import clock
from ..models import DirUser, Domain
from .common import alias_domains, domain_resolve, faults_of, user_get
from .push import push_user_change
from .users import user_refresh


def _sign_in(users: list[DirUser], domain: Domain) -> None:
    now = clock.now()
    aliases = alias_domains(domain)
    for user in users:
        user.last_login_time = now
        user_refresh(user, aliases)
    DirUser.objects.bulk_update(
        users, ["last_login_time", "etag", "resource_json"], batch_size=2000
    )
    if faults_of(domain).login_push_update:
        for user in users:
            push_user_change(user, "update")


@transaction.atomic
def logins(domain: "Domain | str", percent: float, seed: int | None = None) -> list[DirUser]:
    """Sign in `percent` % of the domain's live, unsuspended users (chosen by `seed`)."""
    domain = domain_resolve(domain)
    if not 0 <= percent <= 100:
        raise ValueError("percent must be within 0..100")
    ids = list(
        DirUser.objects.filter(domain=domain, deleted_at__isnull=True, suspended=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
    count = round(len(ids) * percent / 100)
    chosen = sorted(random.Random(seed).sample(ids, count)) if count else []
    users = list(DirUser.objects.select_related("domain").filter(id__in=chosen).order_by("id"))
    _sign_in(users, domain)
    return users


@transaction.atomic
def user_record_login(*, email: str) -> DirUser:
    """One person signs in (the emulated sign-in page, the background trickle)."""
    user = user_get(email)
    _sign_in([user], user.domain)
    return user
