"""The search index's history: a `UserSearchVersion` per user change.

`users.list` with a `query` reads the directory as it was `search_lag_seconds` ago
(googlesandbox/directory.py). A change keeps what the index needs to answer for the past: on a
user's first change since seeding, their state until then; on every change, the new state from
now on. Sign-ins are not written (the index does not follow lastLoginTime).
"""

from datetime import UTC, datetime

from .. import clock
from ..models import DirUser, UserSearchVersion

SEARCH_FIELDS = (
    "primary_email", "aliases", "given_name", "family_name", "org_unit_path", "is_admin",
    "suspended", "deleted_at", "etag", "resource_json",
)
LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def search_snapshot(user: DirUser) -> dict:
    """The fields the index keeps, read before a change (pass to `search_version_write`)."""
    return {
        **{name: getattr(user, name) for name in SEARCH_FIELDS},
        "aliases": list(user.aliases),
        "_changed_at": user.changed_at,
    }


def search_version_write(user: DirUser, *, previous: dict | None) -> None:
    """Record `user`'s new state for the index; call after the change is saved."""
    now = clock.now()
    rows = []
    if previous is not None and not UserSearchVersion.objects.filter(user=user).exists():
        valid_from = previous.pop("_changed_at", None) or LONG_AGO
        rows.append(
            UserSearchVersion(user=user, domain_id=user.domain_id, valid_from=valid_from,
                              **{k: v for k, v in previous.items() if k in SEARCH_FIELDS})
        )
    rows.append(
        UserSearchVersion(
            user=user,
            domain_id=user.domain_id,
            valid_from=now,
            **{name: getattr(user, name) for name in SEARCH_FIELDS},
        )
    )
    UserSearchVersion.objects.bulk_create(rows)
    DirUser.objects.filter(pk=user.pk).update(changed_at=now)
    user.changed_at = now
