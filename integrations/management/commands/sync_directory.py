"""`sync_directory ORG_SLUG [--dry-run | --fetch-only] [--json]`: a full sync, now, here.

`--fetch-only` makes exactly the API calls of a full sync (same client, concurrency and listing
decision; engine.sync_fetch) and writes nothing — no run, no lock: the floor of a sync's time.

Exit codes: 0 succeeded, 1 failed, 2 held for review, 3 skipped (another sync was running).
"""

import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from integrations.errors import IntegrationError
from integrations.models import SyncRun
from integrations.sync.engine import sync_fetch
from integrations.sync.runs import sync_run_now
from organizations.models import Organization

EXIT_CODES = {
    SyncRun.Status.SUCCEEDED: 0,
    SyncRun.Status.FAILED: 1,
    SyncRun.Status.HELD: 2,
    SyncRun.Status.SKIPPED: 3,
}


class Command(BaseCommand):
    help = "Run a full G Suite sync of one organization and print its summary."

    def add_arguments(self, parser):
        parser.add_argument("organization_slug")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="Plan only; write nothing.")
        mode.add_argument(
            "--fetch-only",
            action="store_true",
            help="Make the API calls of a full sync and drop the pages: no planning, no apply.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, organization_slug, dry_run, fetch_only, json: bool, **options):
        organization = Organization.objects.filter(slug=organization_slug).first()
        if organization is None:
            raise CommandError(f"No organization with slug {organization_slug!r}.")
        if fetch_only:
            self._fetch_only(organization, as_json=json)
            return
        run = sync_run_now(
            organization=organization,
            trigger=SyncRun.Trigger.COMMAND,
            mode=SyncRun.Mode.DRY_RUN if dry_run else SyncRun.Mode.FULL,
        )
        if json:
            self.stdout.write(_json_dumps(run))
        else:
            self.stdout.write(_summary(run))
        code = EXIT_CODES.get(run.status, 1)
        if code:
            raise SystemExit(code)

    def _fetch_only(self, organization: Organization, *, as_json: bool) -> None:
        try:
            fetched = sync_fetch(organization=organization)
        except (ValueError, IntegrationError, ObjectDoesNotExist) as error:
            message = str(error)
            if isinstance(error, IntegrationError):
                message = f"{error.headline} {error.detail}".strip()
            raise CommandError(
                f"Fetch-only pass of {organization.slug} failed: {message}"
            ) from error
        if as_json:
            self.stdout.write(
                json.dumps({"organization": organization.slug, "mode": "fetch_only", **fetched})
            )
        else:
            counts = ", ".join(f"{kind} {count}" for kind, count in fetched["counts"].items())
            self.stdout.write(
                f"Fetch-only pass of {organization.slug}: {counts} — "
                f"{fetched['api_calls']} API calls in {fetched['seconds']} s"
                + f" (users listing {fetched['listing']})"
            )


def _json_dumps(run: SyncRun) -> str:
    return json.dumps(
        {
            "id": run.pk,
            "organization": run.organization.slug,
            "status": run.status,
            "mode": run.mode,
            "counts": run.counts,
            "api_calls": run.api_calls,
            "duration_seconds": run.duration.total_seconds() if run.duration else None,
            "error": run.error_message or None,
            "note": run.note or None,
        }
    )


def _summary(run: SyncRun) -> str:
    counts = ", ".join(f"{kind} {count}" for kind, count in run.counts.items()) or "no changes"
    lines = [f"Sync #{run.pk} of {run.organization.slug} ({run.mode}): {run.status} — {counts}"]
    if run.note:
        lines.append(run.note)
    if run.error_message:
        lines.append(f"Error: {run.error_message}")
    return "\n".join(lines)
