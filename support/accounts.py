"""Support accounts: vendor staff who use the console (support/access.py says what they may do).

`support_account_create` makes one — no organization, `is_staff`, in the Support group — and
records it in the audit log. `python manage.py support_user create EMAIL` calls it, so that a
deployment gets its first support account without a shell; `make run`'s demo seed does too.
"""

import secrets

from django.db import transaction

from audit.services import audit_record
from usermanagement.models import User
from usermanagement.services import person_email_verified

from .access import SUPPORT_GROUP, support_group


class SupportAccountError(Exception):
    pass


def password_generate() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def support_account_create(*, email: str, password: str, acting_user: User | None = None) -> User:
    """A new support account in the Support group, signing in at /support/ with `password`."""
    email = User.objects.normalize_email(email.strip())
    if not email or "@" not in email:
        raise SupportAccountError(f"{email!r} is not an email address.")
    if User.objects.filter(email__iexact=email).exclude(status=User.Status.ARCHIVED).exists():
        raise SupportAccountError(f"An account with the address {email} exists already.")
    account = User.objects.create_user(email, password, organization=None, is_staff=True)
    account.groups.add(support_group())
    person_email_verified(person=account)
    audit_record(
        organization=None,
        acting_user=acting_user,
        action="support.account_created",
        target=account,
        details={"email": account.email, "group": SUPPORT_GROUP},
    )
    return account
