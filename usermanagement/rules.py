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


# Characters that reorder the text around them: the embeddings and overrides (LRE, RLE, PDF,
# LRO, RLO), the isolates (LRI, RLI, FSI, PDI) and the marks (LRM, RLM, ALM). A name
# "\u202eevil" would otherwise read backwards in a page's header or an email's subject.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def name_for_display(text: str) -> str:
    """A name as pages and emails show it: without bidi controls. Names are stored as Google or
    the person gave them; only their display is cleaned (pages also isolate them, <bdi>)."""
    return text.translate(_BIDI_TABLE) if text else text
