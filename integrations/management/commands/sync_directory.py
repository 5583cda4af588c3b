"""`sync_directory ORG_SLUG [--dry-run] [--json]`: a full sync, now, in this process.

Exit codes: 0 succeeded, 1 failed, 2 held for review, 3 skipped (another sync was running).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from integrations.models import SyncRun
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
        parser.add_argument("--dry-run", action="store_true", help="Plan only; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, organization_slug, dry_run, json: bool, **options):
        organization = Organization.objects.filter(slug=organization_slug).first()
        if organization is None:
            raise CommandError(f"No organization with slug {organization_slug!r}.")
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
