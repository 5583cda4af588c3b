"""The Marketplace listing, driven through the sandbox's pages with the test client, and its
effect checked with the real google-auth + google-api-python-client against the live sandbox."""

import pytest
from django.conf import settings
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from googlesandbox import operations
from googlesandbox.models import Grant
from googlesandbox.pages.cookies import ACCOUNT_COOKIE, FORM_TOKEN_FIELD
from integrations.google.scopes import GOOGLE_SCOPES

from .pages_helpers import SandboxClient

ADMIN = "admin@acme.example"


@pytest.fixture
def acme(google_sandbox):
    result = google_sandbox.seed(users=12, groups=2, members_per_group=3, install=False)
    return result.domain


@pytest.fixture
def client():
    return SandboxClient()


def _non_admin(domain):
    return domain.users.filter(is_admin=False, suspended=False, deleted_at__isnull=True).first()


def test_listing_shows_hearth_with_domain_install(acme, client):
    answer = client.get("/marketplace/hearth")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert f'<h1 id="app-name">{settings.PRODUCT_NAME}</h1>' in html
    assert ">Domain install</button>" in html
    assert "Installed" not in html
    # every scope Hearth asks for is listed with its human wording
    for scope in GOOGLE_SCOPES:
        assert scope in html
    assert "View users on your domain" in html
    # the sandbox keeps its own signed cookie; it never writes Hearth's session or CSRF cookie
    assert ACCOUNT_COOKIE in answer.cookies
    assert settings.SESSION_COOKIE_NAME not in answer.cookies
    assert settings.CSRF_COOKIE_NAME not in answer.cookies


def test_domain_install_flow_grants_hearth_for_the_domain(google_sandbox, acme, client):
    directory = google_sandbox.directory(ADMIN)
    with pytest.raises(RefreshError) as refused:
        directory.users().list(customer="my_customer").execute()
    assert "unauthorized_client" in str(refused.value)

    # Domain install → choose an account
    answer = client.get("/marketplace/hearth/install")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/signin/chooser?")
    chooser = client.get(answer["Location"])
    assert "Choose an account" in chooser.content.decode()
    assert ADMIN in chooser.content.decode()
    admin = operations.user_find(ADMIN)
    chosen = client.submit(
        "/signin/chooser",
        {"account": admin.google_id, "continue": "/marketplace/hearth/install"},
    )
    assert chosen.status_code == 302
    assert chosen["Location"] == f"/marketplace/hearth/install?authuser={admin.google_id}"

    # consent page: the scopes with their descriptions, Allow and Cancel
    consent = client.get(chosen["Location"])
    html = consent.content.decode()
    assert consent.status_code == 200
    assert "everyone at acme.example" in html
    for scope in GOOGLE_SCOPES:
        assert scope in html
    assert ">Allow</button>" in html and ">Cancel</a>" in html

    allowed = client.submit("/marketplace/hearth/install", {"authuser": admin.google_id})
    assert allowed.status_code == 302
    done = client.get(allowed["Location"])
    assert (
        f"{settings.PRODUCT_NAME} has been installed for everyone at acme.example"
        in done.content.decode()
    )
    assert ">Done</button>" in done.content.decode()

    grant = Grant.objects.get(domain=acme)
    assert grant.client_id == operations.hearth_client_id()
    assert set(grant.scopes) == set(GOOGLE_SCOPES)
    # Google applies the delegation after a while (1 s in tests): until then Hearth's service
    # account is refused exactly as when not installed
    with pytest.raises(RefreshError, match="unauthorized_client"):
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    google_sandbox.clock_travel(2)
    # Hearth's service account may now act for the domain's admin
    listed = google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    assert len(listed["users"]) == 12

    # the listing says Installed and offers Uninstall
    listing = client.get("/marketplace/hearth", {"authuser": admin.google_id})
    assert "Installed" in listing.content.decode()
    assert ">Uninstall</button>" in listing.content.decode()
    assert ">Domain install</button>" not in listing.content.decode()


def test_cancel_on_consent_installs_nothing(acme, client):
    admin = operations.user_find(ADMIN)
    client.sign_in(admin, "/marketplace/hearth/install")
    consent = client.get("/marketplace/hearth/install", {"authuser": admin.google_id})
    assert f'href="/marketplace/hearth?authuser={admin.google_id}">Cancel' in (
        consent.content.decode()
    )
    assert not Grant.objects.filter(domain=acme).exists()


def test_a_non_super_admin_cannot_install(acme, client):
    person = _non_admin(acme)
    chosen = client.sign_in(person, "/marketplace/hearth/install")
    refused = client.get(chosen["Location"])
    assert refused.status_code == 403
    assert "You need to be a super administrator" in refused.content.decode()
    # not even by posting Allow directly
    posted = client.submit("/marketplace/hearth/install", {"authuser": person.google_id})
    assert posted.status_code == 403
    assert not Grant.objects.filter(domain=acme).exists()


def test_suspended_and_deleted_accounts_cannot_sign_in(acme, client):
    person = _non_admin(acme)
    operations.user_suspend(email=person.primary_email)
    refused = client.sign_in(person, "/marketplace/hearth/install")
    assert refused.status_code == 403
    assert "Account disabled" in refused.content.decode()

    other = _non_admin(acme)
    operations.user_delete(email=other.primary_email)
    refused = client.sign_in(other, "/marketplace/hearth/install")
    assert refused.status_code == 404
    assert "Couldn&#x27;t find your Google Account" in refused.content.decode()


def test_an_account_suspended_after_signing_in_is_signed_out(acme, client):
    admin = operations.user_find(ADMIN)
    operations.user_add(email="second.admin@acme.example", is_admin=True)
    client.sign_in(admin, "/marketplace/hearth/install")
    operations.user_suspend(email=ADMIN)
    answer = client.get("/marketplace/hearth/install", {"authuser": admin.google_id})
    assert answer.status_code == 302
    assert answer["Location"].startswith("/signin/chooser")


def test_uninstall_removes_the_grant(google_sandbox, acme, client):
    operations.install(domain=acme, delay_seconds=0)
    admin = operations.user_find(ADMIN)
    assert google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()
    client.sign_in(admin)
    listing = client.get("/marketplace/hearth", {"authuser": admin.google_id})
    assert ">Uninstall</button>" in listing.content.decode()
    answer = client.submit("/marketplace/hearth/uninstall", {"authuser": admin.google_id})
    assert answer.status_code == 302
    after = client.get(answer["Location"])
    assert "was uninstalled from acme.example" in after.content.decode()
    assert ">Domain install</button>" in after.content.decode()
    assert not operations.is_installed(acme)
    with pytest.raises(RefreshError):
        google_sandbox.directory(ADMIN).users().list(customer="my_customer").execute()


def test_forms_need_the_sandbox_token_of_this_browser(acme, client):
    admin = operations.user_find(ADMIN)
    client.sign_in(admin, "/marketplace/hearth/install")
    # no token: refused, nothing installed
    answer = client.post("/marketplace/hearth/install", {"authuser": admin.google_id})
    assert answer.status_code == 403
    # another browser's token: refused too
    stranger = SandboxClient()
    stranger.get("/marketplace/hearth")
    answer = client.post(
        "/marketplace/hearth/install",
        {"authuser": admin.google_id, FORM_TOKEN_FIELD: stranger.form_token},
    )
    assert answer.status_code == 403
    assert not operations.is_installed(acme)


def test_the_chooser_only_continues_to_sandbox_paths(acme, client):
    admin = operations.user_find(ADMIN)
    answer = client.sign_in(admin, "https://evil.example/steal")
    assert answer["Location"].startswith("/marketplace/hearth?authuser=")


def test_directory_api_denies_a_non_admin_even_when_installed(google_sandbox, acme):
    operations.install(domain=acme, delay_seconds=0)
    person = _non_admin(acme)
    with pytest.raises(HttpError) as denied:
        google_sandbox.directory(person.primary_email).users().list(
            customer="my_customer"
        ).execute()
    assert denied.value.resp.status == 403
