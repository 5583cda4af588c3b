"""`support_user create EMAIL`: a support account (the Support group), its password printed once.

    python manage.py support_user create ops@hearth.example
    python manage.py support_user create demo@hearth.example --password-file .local/pw

Without --password-file a password is generated and printed once (it is stored hashed only).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from support.accounts import SupportAccountError, password_generate, support_account_create


class Command(BaseCommand):
    help = "Create a support account for the support console (/support/)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        create = commands.add_parser("create", help="Create a support account; print its login.")
        create.add_argument("email")
        create.add_argument(
            "--password-file",
            type=Path,
            help="Read the password from this file instead of generating one.",
        )

    def handle(self, *args, subcommand, email, password_file=None, **options):
        if password_file is not None:
            if not password_file.exists():
                raise CommandError(f"No such file: {password_file}")
            password = password_file.read_text().strip()
        else:
            password = password_generate()
        try:
            account = support_account_create(email=email, password=password)
        except SupportAccountError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Support account {account.email} created (group Support).")
        if password_file is None:
            self.stdout.write(f"Password (shown once): {password}")
        self.stdout.write("Sign in at /support/.")
