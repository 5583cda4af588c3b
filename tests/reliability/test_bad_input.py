"""Bad input from Google: stored safely or skipped with a reason — never a failed run, never
unescaped output.

Most payloads come from the sandbox's ordinary operations; those Google's own admin console
would refuse (a 10,000-character title, duplicate addresses, unknown fields, control
characters, an unusable address) are written into the sandbox's stored resource JSON, which
its users.list serves as it is — a payload exactly as a faulty Google could send it.
"""

import json

import pytest
from django.utils import timezone

from googlesandbox.models import DirGroup, DirMember, DirUser
from integrations.models import SyncChange, SyncRun
from usermanagement.models import Group, GroupMembership, User

D = "acme.example"


def served(email: str, **changes) -> DirUser:
    """Rewrite what users.list answers for this person (and give them a new etag)."""
    user = DirUser.objects.get(primary_email=email)
    resource = json.loads(user.resource_json)
    for path, value in changes.items():
        target = resource
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    user.etag = f'"{user.etag.strip(chr(34))}x"'
    resource["etag"] = user.etag
    user.resource_json = json.dumps(resource)
    user.save(update_fields=["etag", "resource_json"])
    return user


@pytest.fixture
def synced(connected):
    connected.sandbox.seed(D, users=40, groups=4, members_per_group=6, admins=1)
    assert connected.sync().status == SyncRun.Status.SUCCEEDED
    return connected


def person(synced, email: str) -> User:
    return User.objects.get(organization=synced.organization, email=email)


def test_control_characters_are_removed_with_a_reason(synced):
    synced.ops.user_add(email=f"ctl@{D}")
    served(
        f"ctl@{D}",
        name__givenName="Jane\r\nBcc: all@example.com",
        name__familyName="Doe\x00\x1b[31m",
        organizations=[{"title": "Head\tof\x07 Sales", "primary": True}],
    )

    run = synced.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    jane = person(synced, f"ctl@{D}")
    assert (jane.first_name, jane.last_name, jane.title) == (
        "Jane Bcc: all@example.com",
        "Doe[31m",
        "Head of Sales",
    )
    change = SyncChange.objects.get(run=run, object_repr=f"ctl@{D}", kind="create")
    assert "first_name: control characters removed" in change.diff["notes"]
    assert "last_name: control characters removed" in change.diff["notes"]


def test_emoji_right_to_left_and_bidi_controls_are_stored_as_received(synced):
    synced.ops.user_add(email=f"intl@{D}", given_name="Dana 🌍", family_name="כהן")
    synced.ops.user_add(email=f"bidi@{D}", given_name="Eve\u202egnp.exe", family_name="Smith")

    assert synced.sync().status == SyncRun.Status.SUCCEEDED

    assert person(synced, f"intl@{D}").first_name == "Dana 🌍"
    assert person(synced, f"intl@{D}").last_name == "כהן"
    assert person(synced, f"bidi@{D}").first_name == "Eve\u202egnp.exe"


def test_ten_thousand_characters_are_kept_whole_or_cut_with_a_note(synced):
    synced.ops.user_add(email=f"long@{D}")
    served(
        f"long@{D}",
        name__givenName="G" * 10_000,
        organizations=[{"title": "T" * 10_000, "department": "D" * 10_000, "primary": True}],
        unknownField={"nested": ["anything"]},
        thumbnailPhotoUrl="javascript:alert(1)",
    )

    run = synced.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    long = person(synced, f"long@{D}")
    # a title or department is kept whole; a name is cut to its column, with a note
    assert long.title == "T" * 10_000 and long.department == "D" * 10_000
    assert long.first_name == "G" * 150
    assert long.photo_url == ""
    notes = SyncChange.objects.get(run=run, object_repr=f"long@{D}").diff["notes"]
    assert "first_name: cut to 150 characters (10,000 received)" in notes
    assert not any(note.startswith(("title", "department")) for note in notes)
    assert "photo_url: not a usable web address, left out" in notes


def test_duplicate_and_unusable_addresses_are_skipped_with_a_reason(synced):
    synced.ops.user_add(email=f"twin.a@{D}")
    synced.ops.user_add(email=f"twin.b@{D}")
    synced.ops.user_add(email=f"broken@{D}")
    served(f"twin.b@{D}", primaryEmail=f"twin.a@{D}")  # two ids, one address, one listing
    served(f"broken@{D}", primaryEmail="not an address")

    run = synced.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert User.objects.filter(organization=synced.organization, email=f"twin.a@{D}").count() == 1
    skipped = dict(
        SyncChange.objects.filter(run=run, kind="skipped").values_list("object_repr", "diff")
    )
    assert "still used by another person" in skipped[f"twin.a@{D}"]["reason"]
    assert skipped["not an address"]["reason"] == "G Suite sent an address Hearth cannot use."
    assert synced.sync().status == SyncRun.Status.SUCCEEDED  # and again, the same way


def test_an_alias_equal_to_another_persons_address_is_kept_apart(synced):
    victim = User.objects.filter(organization=synced.organization, role="member").first()
    synced.ops.user_add(email=f"mimic@{D}")
    served(f"mimic@{D}", aliases=[victim.email])

    assert synced.sync().status == SyncRun.Status.SUCCEEDED

    mimic = person(synced, f"mimic@{D}")
    assert mimic.aliases == [victim.email]
    victim.refresh_from_db()
    assert victim.status == "active" and victim.email not in victim.aliases


def test_a_group_in_itself_and_a_cycle_of_groups_sync(synced):
    groups = list(Group.objects.filter(organization=synced.organization).order_by("email"))
    first, second = groups[0].email, groups[1].email
    # Google refuses a group in itself (so does the sandbox's console): written directly, as a
    # faulty answer would carry it
    in_itself = DirGroup.objects.get(email=first)
    DirMember.objects.create(
        group=in_itself,
        member_group=in_itself,
        member_type=DirMember.TYPE_GROUP,
        created_at=timezone.now(),
    )
    synced.ops.member_add(group_email=second, member_email=first)
    synced.ops.member_add(group_email=first, member_email=second)

    run = synced.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    nested = GroupMembership.objects.filter(organization=synced.organization, member_type="group")
    assert nested.filter(group__email=first, member_google_id=groups[0].google_id).exists()
    # inherited members through the cycle: each person once per group, the walk ended
    inherited = GroupMembership.objects.filter(group__email=first, direct=False)
    assert inherited.count() == inherited.values("member_google_id").distinct().count()
    assert synced.sync().counts == {}


def test_names_are_escaped_wherever_they_are_shown(synced, client):
    synced.ops.user_add(
        email=f"xss@{D}", given_name="<script>alert(1)</script>", family_name="<b>Bold</b>"
    )
    assert synced.sync().status == SyncRun.Status.SUCCEEDED
    client.force_login(synced.admin)
    evil = person(synced, f"xss@{D}")

    for url in ("/panel/users/?q=xss", f"/panel/users/people/{evil.pk}/"):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "<script>alert(1)</script>" not in page, url
        assert "<b>Bold</b>" not in page, url


def test_a_record_the_database_refuses_is_skipped_and_the_rest_of_the_page_goes_on(synced):
    from django.db import connection

    for number in range(5):
        synced.ops.user_add(email=f"fine{number}@{D}")
    synced.ops.user_add(email=f"poison@{D}")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
            BEGIN
              IF NEW.email = 'poison@acme.example' THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'refused (injected)';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_poison BEFORE INSERT ON usermanagement_user
            FOR EACH ROW EXECUTE FUNCTION refuse_poison();
            """
        )
    try:
        run = synced.sync()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER refuse_poison ON usermanagement_user; DROP FUNCTION refuse_poison();"
            )

    assert run.status == SyncRun.Status.SUCCEEDED
    created = set(
        User.objects.filter(organization=synced.organization, email__startswith="fine")
        .values_list("email", flat=True)
    )
    assert created == {f"fine{number}@{D}" for number in range(5)}
    skipped = SyncChange.objects.get(run=run, kind="skipped", object_repr=f"poison@{D}")
    assert skipped.diff["reason"].startswith("Hearth could not save this record")
    assert run.counts["create"] == 5
    # the next run (the cause gone) adds the person
    assert synced.sync().counts["create"] == 1
