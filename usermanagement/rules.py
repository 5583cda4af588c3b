"""Rules about people that hold whatever the data source: pure functions, no database.

The sync's planner (integrations.sync.planning, pure itself) decides with them on its in-memory
index; the services that read the database — access.roles, licenses.services and the held-plan
review (integrations.sync.review) — count what they need and ask the same function. One rule,
one owner.
"""

from collections.abc import Iterable


def last_admin_kept(
    leaving: Iterable[int], *, remaining: int, prefer: int | None = None
) -> int | None:
    """An organization always keeps one active Hearth admin who can sign in.

    `leaving`: the pks of the admins a change would take that away from (deactivated, archived,
    unlicensed, no longer admin); `remaining`: how many such admins the change leaves as they
    are. Returns the admin to keep — `prefer` when among those leaving, else the lowest pk —
    or None when one remains anyway (or nobody leaves).
    """
    leaving = sorted(set(leaving))
    if not leaving or remaining >= 1:
        return None
    return prefer if prefer in leaving else leaving[0]
