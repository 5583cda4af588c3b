"""Every periodic task Hearth runs, declared in code.

`python manage.py setup_periodic_tasks` (run at every start) makes django-celery-beat's
database schedule match this list: it creates or updates these entries and removes entries it
created earlier that are no longer declared. Features add their schedules here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    task: str
    every_seconds: int
    description: str


PERIODIC_TASKS: tuple[PeriodicTask, ...] = (
    PeriodicTask(
        name="G Suite sync: enqueue due organizations",
        task="integrations.tasks.sync_schedule_due",
        every_seconds=60,
        description="Enqueue a full sync of each active organization whose sync interval "
        "(default 15 minutes) has elapsed and that has no run queued or running.",
    ),
    PeriodicTask(
        name="Real-time sync: read the activity feeds",
        task="integrations.realtime.feed_poll_due",
        every_seconds=60,
        description="Send a poll of Google's admin activities for each active organization "
        "whose poll is due (every minute; backing off to 15 minutes when idle and push works).",
    ),
    PeriodicTask(
        name="Real-time sync: push channels and lost refreshes",
        task="integrations.realtime.channels_maintain",
        every_seconds=60,
        description="Open missing push channels, renew those that expire soon (all of them "
        "when push is degraded), and send again refreshes whose message was lost.",
    ),
    PeriodicTask(
        name="Seats: release after the grace period",
        task="licenses.tasks.seats_grace_release",
        every_seconds=60 * 60,
        description="Release seats of deactivated or archived people whose grace period "
        "ended, also for organizations whose sync is not running.",
    ),
    PeriodicTask(
        name="Clear expired sessions",
        task="usermanagement.tasks.sessions_clear_expired",
        every_seconds=24 * 60 * 60,
        description="Delete expired sign-in sessions so the session table stays small.",
    ),
    PeriodicTask(
        name="History: prune old sync runs and emails",
        task="support.tasks.history_prune",
        every_seconds=24 * 60 * 60,
        description="Delete sync runs (with their changes) and email logs older than their "
        "retention period (RETENTION_* settings; held plans and failed runs are kept longer).",
    ),
)
