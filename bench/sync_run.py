"""Stand-in for `manage.py sync_directory ORG --json` while that command does not exist yet.

It does what the command is specified to do — record a run (trigger: command) and execute it
synchronously through integrations.sync.runs.sync_run_execute, under the organization's lock —
and prints the same kind of summary. The harness prefers the real command when it exists.
Run through bench.probe: `python -m bench.probe OUT bench.sync_run:main ORG_SLUG`.
"""


def main(argv: list[str]) -> dict:
    from integrations.models import SyncRun
    from integrations.sync.runs import sync_run_execute
    from organizations.models import Organization

    (slug,) = argv
    organization = Organization.objects.get(slug=slug)
    run = SyncRun.objects.create(
        organization=organization, trigger=SyncRun.Trigger.COMMAND, status=SyncRun.Status.QUEUED
    )
    run = sync_run_execute(run_id=run.pk)
    return {
        "run": run.pk,
        "status": run.status,
        "counts": run.counts,
        "api_calls": run.api_calls,
        "error": run.error_message,
    }
