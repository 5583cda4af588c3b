"""How people's names and titles are kept and shown (issue 16): stored as received, shown without
bidi controls; a long title kept whole from Google to the page."""

import pytest

from integrations.sync import planning
from tests.usermanagement.factories import UserFactory
from usermanagement.rules import BIDI_CONTROLS, name_for_display

RLO, PDF = "\u202e", "\u202c"


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_every_bidi_control_is_left_out_of_a_displayed_name(control):
    assert name_for_display(f"Ann{control}a") == "Anna"


def test_a_name_in_a_right_to_left_script_is_left_as_it_is():
    assert name_for_display("עומר כהן") == "עומר כהן"
    assert name_for_display("") == ""


@pytest.mark.django_db
def test_names_are_stored_as_received_and_displayed_clean():
    person = UserFactory(first_name=f"{RLO}nhoJ{PDF}", last_name="Smith")
    person.refresh_from_db()
    assert person.first_name == f"{RLO}nhoJ{PDF}"
    assert person.full_name == "nhoJ Smith"
    assert person.display_name == "nhoJ Smith"


@pytest.mark.django_db
def test_a_five_thousand_character_title_from_google_is_kept_whole():
    title = "T" * 5000
    remote = planning.remote_user(
        {
            "id": "1",
            "primaryEmail": "long@acme.example",
            "organizations": [{"title": title, "department": "D" * 3000, "primary": True}],
        }
    )
    assert remote.fields["title"] == title
    assert remote.fields["department"] == "D" * 3000
    assert not any("cut" in note for note in remote.notes)  # nothing cut, nothing to note
    person = UserFactory(title=title)
    person.refresh_from_db()
    assert person.title == title
