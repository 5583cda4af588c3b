"""The sandbox's admin console through the test client: every action changes the sandbox's
state (checked in the tables, the Reports API activity and, where it matters, through the real
Directory API client)."""

import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from googlesandbox import operations
from googlesandbox.models import Activity, DirGroup, DirMember, DirUser

from .pages_helpers import SandboxClient

ADMIN = "admin@acme.example"
BASE = "/console/acme.example/"


@pytest.fixture
def acme(google_sandbox):
    return google_sandbox.seed(users=130, groups=3, members_per_group=4).domain


@pytest.fixture
def console(acme):
    client = SandboxClient()
    client.sign_in(operations.user_find(ADMIN), BASE)
    return client


def _person(domain, index=0):
    return DirUser.objects.filter(
        domain=domain, is_admin=False, suspended=False, deleted_at=None
    ).order_by("primary_email")[index]


def _events(domain, name):
    return list(Activity.objects.filter(domain=domain, event_name=name))


def test_console_needs_a_signed_in_super_admin(acme):
    client = SandboxClient()
    answer = client.get(BASE + "users/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/signin/chooser?")
    assert "hd=acme.example" in answer["Location"]
    client.sign_in(_person(acme), BASE)
    refused = client.get(BASE + "users/")
    assert refused.status_code == 403
    assert "You need to be a super administrator" in refused.content.decode()


def test_domain_picker_lists_domains_or_goes_straight_to_the_only_one(google_sandbox, acme):
    client = SandboxClient()
    assert client.get("/console/")["Location"] == BASE
    google_sandbox.seed("globex.example", users=3, groups=0, members_per_group=0)
    page = client.get("/console/").content.decode()
    assert 'href="/console/acme.example/"' in page
    assert 'href="/console/globex.example/"' in page


def test_overview_shows_counts_and_status(console):
    html = console.get(BASE).content.decode()
    assert ">130<" in html  # users
    assert "Installed" in html
    assert "Recent admin activity" in html


def test_users_are_searched_and_paged_server_side(console, acme):
    first = console.get(BASE + "users/").content.decode()
    assert "1\N{EN DASH}50 of 130" in first
    assert first.count('class="person"') == 50
    third = console.get(BASE + "users/", {"page": 3}).content.decode()
    assert "101\N{EN DASH}130 of 130" in third
    person = _person(acme, 5)
    found = console.get(BASE + "users/", {"q": person.primary_email}).content.decode()
    assert person.primary_email in found
    assert "1 result" in found
    admins = console.get(BASE + "users/", {"filter": "admins"}).content.decode()
    assert ADMIN in admins and "1 result" in admins


def test_add_edit_and_rename_a_user(console, acme):
    answer = console.submit(
        BASE + "users/add",
        {
            "local_part": "grace.hopper",
            "given_name": "Grace",
            "family_name": "Hopper",
            "title": "Rear Admiral",
            "department": "Navy",
            "org_unit_path": "/Engineering/Compilers",
        },
    )
    assert answer.status_code == 302
    grace = operations.user_find("grace.hopper@acme.example")
    assert grace.title == "Rear Admiral"
    assert grace.org_unit_path == "/Engineering/Compilers"
    assert answer["Location"] == f"{BASE}users/{grace.google_id}/"
    page = console.get(answer["Location"]).content.decode()
    assert "Added grace.hopper@acme.example." in page
    assert _events(acme, "CREATE_USER")[0].actor_email == ADMIN

    # duplicate email: refused with the reason, nothing added
    again = console.submit(
        BASE + "users/add",
        {"local_part": "grace.hopper", "given_name": "G", "family_name": "H", "org_unit_path": "/"},
    )
    assert again.status_code == 400
    assert "already exists" in again.content.decode()

    edited = console.submit(
        f"{BASE}users/{grace.google_id}/",
        {
            "given_name": "Amazing Grace",
            "family_name": "Hopper",
            "title": "Admiral",
            "department": "Navy",
            "org_unit_path": "/Sales",
        },
    )
    assert edited.status_code == 302
    grace.refresh_from_db()
    assert (grace.given_name, grace.title, grace.org_unit_path) == (
        "Amazing Grace",
        "Admiral",
        "/Sales",
    )
    assert _events(acme, "CHANGE_FIRST_NAME")
    assert _events(acme, "MOVE_USER_TO_ORG_UNIT")

    renamed = console.submit(f"{BASE}users/{grace.google_id}/rename", {"local_part": "grace"})
    assert renamed.status_code == 302
    grace.refresh_from_db()
    assert grace.primary_email == "grace@acme.example"
    assert "grace.hopper@acme.example" in grace.aliases
    assert _events(acme, "RENAME_USER")[0].parameters[1]["value"] == "grace@acme.example"


@pytest.mark.parametrize(
    ("action", "field", "value", "event"),
    [
        ("suspend", "suspended", True, "SUSPEND_USER"),
        ("make-admin", "is_admin", True, "GRANT_ADMIN_PRIVILEGE"),
    ],
)
def test_flag_actions_and_their_reverse(console, acme, action, field, value, event):
    person = _person(acme)
    url = f"{BASE}users/{person.google_id}/"
    assert console.submit(url + action).status_code == 302
    person.refresh_from_db()
    assert getattr(person, field) is value
    assert _events(acme, event)[0].parameters == [
        {"name": "USER_EMAIL", "value": person.primary_email}
    ]
    reverse = {"suspend": "unsuspend", "make-admin": "revoke-admin"}[action]
    assert console.submit(url + reverse).status_code == 302
    person.refresh_from_db()
    assert getattr(person, field) is (not value)


def test_delete_and_undelete(google_sandbox, console, acme):
    person = _person(acme)
    url = f"{BASE}users/{person.google_id}/"
    assert console.submit(url + "delete").status_code == 302
    person.refresh_from_db()
    assert person.deleted_at is not None
    deleted = console.get(BASE + "users/", {"filter": "deleted"}).content.decode()
    assert person.primary_email in deleted
    assert "Restore user" in console.get(url).content.decode()
    # the real Directory API sees the deletion too (showDeleted lists only deleted users)
    api = google_sandbox.directory(ADMIN)
    gone = api.users().list(customer="my_customer", showDeleted="true").execute()
    assert [u["primaryEmail"] for u in gone["users"]] == [person.primary_email]

    assert console.submit(url + "undelete").status_code == 302
    person.refresh_from_db()
    assert person.deleted_at is None
    assert _events(acme, "UNDELETE_USER")


def test_groups_members_and_nested_groups(console, acme):
    created = console.submit(
        BASE + "groups/", {"local_part": "pilots", "name": "Pilots", "description": "Fly"}
    )
    assert created.status_code == 302
    pilots = DirGroup.objects.get(email="pilots@acme.example")
    page = f"{BASE}groups/{pilots.google_id}/"
    assert created["Location"] == page
    person = _person(acme)
    added = console.submit(page, {"member_email": person.primary_email, "role": "MANAGER"})
    assert added.status_code == 302
    member = DirMember.objects.get(group=pilots, user=person)
    assert member.role == "MANAGER"

    other = DirGroup.objects.filter(domain=acme).exclude(pk=pilots.pk).first()
    nested = console.submit(page, {"member_email": other.email, "role": "MEMBER"})
    assert nested.status_code == 302
    assert DirMember.objects.filter(group=pilots, member_group=other).exists()
    html = console.get(page).content.decode()
    assert person.primary_email in html and other.email in html and ">Group<" in html
    # the nested group's page says what it is a member of
    assert pilots.email in console.get(f"{BASE}groups/{other.google_id}/").content.decode()

    unknown = console.submit(page, {"member_email": "nobody@acme.example", "role": "MEMBER"})
    assert unknown.status_code == 400
    assert "Unknown user or group" in unknown.content.decode()

    removed = console.submit(page + "remove-member", {"member_email": person.primary_email})
    assert removed.status_code == 302
    assert not DirMember.objects.filter(group=pilots, user=person).exists()
    assert _events(acme, "REMOVE_GROUP_MEMBER")[0].actor_email == ADMIN

    assert console.submit(page + "rename", {"name": "Flyers"}).status_code == 302
    pilots.refresh_from_db()
    assert pilots.name == "Flyers"
    assert console.submit(page + "delete").status_code == 302
    assert not DirGroup.objects.filter(pk=pilots.pk).exists()
    assert _events(acme, "DELETE_GROUP")


def test_api_access_off_makes_the_directory_api_refuse(google_sandbox, console, acme):
    api = google_sandbox.directory(ADMIN)
    assert api.users().list(customer="my_customer", maxResults=5).execute()["users"]
    answer = console.submit(BASE + "settings/api-access", {"enabled": "off"})
    assert answer.status_code == 302
    assert "API access turned off." in console.get(answer["Location"]).content.decode()
    acme.refresh_from_db()
    assert acme.api_access is False
    with pytest.raises(HttpError) as refused:
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    assert refused.value.resp.status == 403
    assert "Domain cannot use apis." in refused.value.content.decode()

    console.submit(BASE + "settings/api-access", {"enabled": "on"})
    assert google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()


def test_install_and_uninstall_from_the_console(google_sandbox, console, acme):
    assert console.submit(BASE + "settings/uninstall").status_code == 302
    assert not operations.is_installed(acme)
    assert "Not installed" in console.get(BASE + "settings/").content.decode()
    assert console.submit(BASE + "settings/install").status_code == 302
    # Google takes a while to apply an install: until then the token is refused
    assert operations.install_state(acme) == "pending"
    assert "Installing" in console.get(BASE + "settings/").content.decode()
    with pytest.raises(RefreshError, match="unauthorized_client"):
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    google_sandbox.clock_travel(2)
    assert operations.is_installed(acme)
    assert google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()


def _settings_form(acme, **changes) -> dict:
    """The settings form as the page fills it, with `changes`."""
    from googlesandbox.models import Faults
    from googlesandbox.pages.forms import FaultsForm

    data = {
        name: ("on" if value is True else "" if value in (False, None) else str(value))
        for name, value in FaultsForm.initial_from(Faults.objects.get(domain=acme)).items()
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_fault_settings(google_sandbox, console, acme):
    answer = console.submit(
        BASE + "settings/",
        _settings_form(
            acme, latency_ms="0", jitter_ms="0", qpm="120", timeout_seconds="2",
            rate_503="1", rate_429="0", drop_push="on", search_lag_seconds="45",
            concurrent_limit="4", install_delay_seconds="30", channel_ttl_max_seconds="600",
            page_token_ttl_seconds="90", reports_lag_seconds="120", retention_days="5",
            seed="7",
        ),
    )
    assert answer.status_code == 302
    faults = operations.show(acme)["settings"]["faults"]
    assert faults["qpm"] == 120
    assert faults["error_rates"] == {"503": 1.0}
    assert faults["drop_push"] is True
    assert (faults["search_lag_seconds"], faults["concurrent_limit"], faults["seed"]) == (45, 4, 7)
    assert faults["install_delay_seconds"] == 30 and faults["channel_ttl_max_seconds"] == 600
    assert faults["page_token_ttl_seconds"] == 90 and faults["reports_lag_seconds"] == 120
    assert faults["retention_days"] == 5
    with pytest.raises(HttpError) as failed:
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute(num_retries=0)
    assert failed.value.resp.status == 503

    bad = console.submit(
        BASE + "settings/",
        _settings_form(acme, qpm="0", rate_503="2"),
    )
    assert bad.status_code == 400
    assert operations.show(acme)["settings"]["faults"]["qpm"] == 120


def test_console_forms_need_the_sandbox_token(console, acme):
    person = _person(acme)
    answer = console.post(f"{BASE}users/{person.google_id}/suspend")
    assert answer.status_code == 403
    person.refresh_from_db()
    assert person.suspended is False
