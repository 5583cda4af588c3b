"""The last-admin rule, the one every caller asks (planner, held-plan review, roles, seats)."""

import pytest

from usermanagement.rules import last_admin_kept


@pytest.mark.parametrize(
    ("leaving", "remaining", "prefer", "kept"),
    [
        ([], 0, None, None),  # nobody leaves
        ([7], 1, None, None),  # another admin remains
        ([7, 3], 0, None, 3),  # all leave: the lowest pk stays
        ([7, 3], 0, 7, 7),  # ... unless one is preferred (the sync account, the acting admin)
        ([7, 3], 0, 99, 3),  # a preferred admin who is not leaving changes nothing
        ([5, 5], 0, None, 5),  # the same admin twice counts once
        ([4], -1, None, 4),  # a caller's count that goes below zero still keeps one
    ],
)
def test_one_active_admin_who_can_sign_in_always_remains(leaving, remaining, prefer, kept):
    assert last_admin_kept(leaving, remaining=remaining, prefer=prefer) == kept
