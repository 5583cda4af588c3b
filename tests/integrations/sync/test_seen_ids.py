"""SeenIds: the Google ids a full run's listings returned, kept in 8 bytes each."""

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.sync.apply import SeenIds

google_ids = st.one_of(
    st.integers(0, 10**21).map(str),  # Google's numeric ids
    st.text(min_size=1, max_size=12),  # anything else is hashed
)


@settings(max_examples=200, deadline=None)
@given(
    pages=st.lists(st.lists(google_ids, max_size=8), max_size=8),
    asked=st.lists(google_ids, max_size=8),
)
def test_an_id_is_seen_exactly_when_a_page_returned_it(pages, asked):
    seen = SeenIds()
    returned: set[str] = set()
    for page in pages:
        seen.add_many(page)
        returned.update(page)
        # lookups between pages (a one-person run asks before its page is complete) stay right
        for google_id in [*asked, *page[:1]]:
            assert (google_id in seen) == (google_id in returned) or (
                # two ids folding alike: the safe side, reported as seen
                google_id in seen
                and SeenIds._fold(google_id) in {SeenIds._fold(r) for r in returned}
            )
    assert len(seen) == sum(len(page) for page in pages)
