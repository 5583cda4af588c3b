"""Seed the demo organization for `make run` — only what is absent — and print the logins: the
demo's Hearth admin, and a support account for the support console (/support/)."""

import secrets
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from access.roles import person_admin_grant
from organizations.models import Organization
from organizations.services import organization_create
from usermanagement.models import User
from usermanagement.services import person_create, person_credentials_set, person_email_verified

DEMO_ORGANIZATION = "Acme"
DEMO_DOMAIN = "acme.example"
DEMO_ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
PASSWORD_FILE = settings.BASE_DIR / ".local" / "demo-admin-password"
DEMO_SUPPORT_EMAIL = "demo-support@hearth.example"
SUPPORT_PASSWORD_FILE = settings.BASE_DIR / ".local" / "demo-support-password"


def _demo_password(path: Path | None = None) -> tuple[str, bool]:
    """A demo password, generated once and kept in a git-ignored file."""
    path = path or PASSWORD_FILE
    if path.exists():
        return path.read_text().strip(), False
    path.parent.mkdir(exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, True


def _support_account() -> str:
    """The demo's support account (the Support group), made by the command a deployment uses
    (`support_user create`); returns its password."""
    password, new_password = _demo_password(SUPPORT_PASSWORD_FILE)
    account = User.objects.filter(email__iexact=DEMO_SUPPORT_EMAIL).first()
    if account is None:
        call_command(
            "support_user",
            "create",
            DEMO_SUPPORT_EMAIL,
            "--password-file",
            str(SUPPORT_PASSWORD_FILE),
            stdout=StringIO(),
        )
    elif new_password:
        person_credentials_set(person=account, password=password)
    return password


class Command(BaseCommand):
    help = "Create the demo organization Acme, its Hearth admin and a support account when absent."

    @transaction.atomic
    def handle(self, *args, **options):
        organization = Organization.objects.filter(primary_domain=DEMO_DOMAIN).first()
        if organization is None:
            organization = organization_create(
                name=DEMO_ORGANIZATION, primary_domain=DEMO_DOMAIN, seats_purchased=500
            )
        password, new_password = _demo_password()
        admin = User.objects.filter(email__iexact=DEMO_ADMIN_EMAIL).first()
        if admin is None:
            # no name: it comes from the Google directory with the first sync
            admin = person_create(
                organization=organization,
                email=DEMO_ADMIN_EMAIL,
                password=password,
                acting_user=None,
            )
            admin = person_admin_grant(organization=organization, person=admin, acting_user=None)
        elif new_password:
            # The password file was deleted: the new password must work.
            person_credentials_set(person=admin, password=password)
        person_email_verified(person=admin)
        support_password = _support_account()
        site = settings.SITE_URL
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                f"  {settings.PRODUCT_NAME} is starting at {site}\n"
                f"  Sign in as {DEMO_ADMIN_EMAIL} with password {password}\n"
                f"  Support console: {site}/support/ as {DEMO_SUPPORT_EMAIL} "
                f"with password {support_password}\n"
                f"  Google sandbox console: http://127.0.0.1:{settings.SANDBOX_PORT}/console/\n"
            )
        )
