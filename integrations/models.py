"""The G Suite integration of an organization, and the record of every sync run.

`Integration` is one row per organization: its state (docs/sync.md), the sync account whose
identity Hearth borrows, the Google customer it is bound to, its settings and its last error.
Every change goes through `integrations.services` (which writes an AuditEvent).

`SyncRun` and `SyncChange` are what support reads months later: when a run happened, why it was
started, what it counted, and per object which fields changed from what to what. `SyncLock` is
the per-organization lease that keeps two runs of one organization apart across processes (see
integrations/sync/runs.py).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

DEFAULT_SYNC_INTERVAL_MINUTES = 15


class Integration(models.Model):
    class State(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        WAITING_FOR_ADMIN = "waiting_for_admin", "Waiting for a G Suite admin"
        INSTALLING = "installing", "Installing"
        ACTIVE = "active", "Active"
        ERROR = "error", "Needs attention"
        DISCONNECTED = "disconnected", "Disconnected"

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="integration"
    )
    state = models.CharField(max_length=24, choices=State.choices, default=State.NOT_STARTED)
    # The Google admin whose identity Hearth uses (domain-wide delegation, sub = their email).
    # A Hearth user, so that when the sync renames them the subject follows.
    sync_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Path B: the Hearth admin who asked a colleague to finish the setup.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Path B: the secret in the emailed finalize link; rotated when the sync account changes so
    # that the old link stops working. Empty when no request is outstanding.
    request_token = models.CharField(max_length=64, blank=True, db_index=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    # When an admin last left for the Marketplace from Step 1: Google can take minutes to apply
    # a domain install, so a finalize soon after that waits for it instead of failing.
    marketplace_opened_at = models.DateTimeField(null=True, blank=True)
    # One Workspace customer connects to at most one Hearth organization.
    google_customer_id = models.CharField(max_length=32, null=True, blank=True, unique=True)
    domain = models.CharField(max_length=253, blank=True)

    # --- settings ---------------------------------------------------------------------------
    # Scope: empty `org_units_included` = the whole domain; paths like "/Sales" include their
    # sub-units; `org_units_excluded` wins over included.
    org_units_included = models.JSONField(default=list, blank=True)
    org_units_excluded = models.JSONField(default=list, blank=True)
    # Removals (deactivations + archivals) above this many are held for review. Empty = the
    # default rule (20% of active people or 500, whichever is lower, never below 10).
    deactivation_threshold = models.PositiveIntegerField(null=True, blank=True)
    sync_interval_minutes = models.PositiveIntegerField(default=DEFAULT_SYNC_INTERVAL_MINUTES)
    # While real-time sync is healthy the scheduled full sync is a nightly reconcile; turned
    # off, it runs at `sync_interval_minutes` whatever real-time does.
    reconcile_nightly = models.BooleanField(default=True)
    flatten_nested_groups = models.BooleanField(
        default=True, help_text="Members of nested groups become (inherited) members."
    )
    # The time zone the panel shows times in (sync history, next sync, reviews): the
    # organization's, chosen on the G Suite settings page.
    time_zone = models.CharField(max_length=64, default="UTC")

    # --- health ----------------------------------------------------------------------------
    last_error_headline = models.CharField(max_length=300, blank=True)
    last_error_fix = models.CharField(max_length=500, blank=True)
    last_error_detail = models.TextField(blank=True)
    # Set when the "sync failed" email of the current incident went out; cleared on recovery.
    error_notified_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state"], name="integration_state_idx")]

    def __str__(self) -> str:
        return f"G Suite integration of {self.organization} ({self.get_state_display()})"

    @property
    def is_syncing(self) -> bool:
        """Scheduled syncs run for these states (an error may be temporary and recover)."""
        return self.state in (self.State.ACTIVE, self.State.ERROR)


class SyncRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        SYNC_ALL = "sync-all", "Sync All Users"
        WIZARD = "wizard", "Wizard"
        ADMIN = "admin", "Admin"
        SUPPORT = "support", "Support"
        COMMAND = "command", "Command"
        PUSH = "push", "Push notification"
        FEED = "feed", "Activity feed"

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        DRY_RUN = "dry-run", "Dry run"
        # real-time sync: only the people and groups Google's notifications named
        INCREMENTAL = "incremental", "Incremental"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        HELD = "held", "Held for review"
        SKIPPED = "skipped", "Skipped"

    class Review(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded by a later run"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="sync_runs"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.FULL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    review = models.CharField(max_length=16, choices=Review.choices, default="", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Requested (queued) at; the 24-hour rule of Sync All Users counts from here.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"create": 3, "update": 10, "deactivate": 1, ...} — one key per SyncChange kind.
    counts = models.JSONField(default=dict, blank=True)
    # Held runs: every removal of the plan, waiting for review (integrations.sync.removals):
    # {"type": "user", "pk", "kind", "state"} / {"type": "group", "pk"} /
    # {"type": "membership", "pk"}.
    held_removals = models.JSONField(default=list, blank=True)
    # How many executions of this run have started: a run whose worker died is resumed by the
    # schedule (a new attempt), and an execution records its outcome only while it is the
    # latest attempt — a paused one that lost its lease cannot overwrite its successor's.
    attempt = models.PositiveSmallIntegerField(default=0)
    progress_processed = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    # Calls Google refused or that failed, by reason ({"quotaExceeded": 3, "503": 1}), retried
    # or not: what support and the benchmark read to see how a run met Google's limits.
    api_failures = models.JSONField(default=dict, blank=True)
    error_class = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    # Why a run was skipped, held or kept someone (human-readable, for support).
    note = models.TextField(blank=True)
    # Who approved or rejected a held plan, and when (integrations.sync.review).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="syncrun_org_created_idx"),
            models.Index(fields=["organization", "trigger", "status"], name="syncrun_org_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"Sync #{self.pk} of {self.organization_id} ({self.trigger}, {self.status})"

    @property
    def duration(self):
        if self.finished_at and self.started_at:
            return self.finished_at - self.started_at
        return None


class SyncChange(models.Model):
    """One change a run made (or, held, would make) to one object, with its field diffs."""

    class Kind(models.TextChoices):
        CREATE = "create", "Created"
        ADOPT = "adopt", "Adopted"
        UPDATE = "update", "Updated"
        DEACTIVATE = "deactivate", "Deactivated"
        ARCHIVE = "archive", "Archived"
        RESTORE = "restore", "Restored"
        KEPT = "kept", "Kept (not removed)"
        SKIPPED = "skipped", "Skipped"
        GROUP_CREATE = "group_create", "Group created"
        GROUP_UPDATE = "group_update", "Group updated"
        GROUP_DELETE = "group_delete", "Group deleted"
        MEMBER_ADD = "member_add", "Member added"
        MEMBER_UPDATE = "member_update", "Member role changed"
        MEMBER_REMOVE = "member_remove", "Member removed"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # "user" or "group" or "membership"; object_id is the Hearth pk (text), google_id Google's.
    object_type = models.CharField(max_length=16)
    object_id = models.CharField(max_length=64, blank=True)
    google_id = models.CharField(max_length=64, blank=True)
    # What it was called at the time (an email), searchable by support.
    object_repr = models.CharField(max_length=300, blank=True, db_index=True)
    # {"field": [old, new], ...}; for kept/skipped: {"reason": "..."}.
    diff = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # False while a held run waits for review.
    applied = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "kind"], name="syncchange_run_kind_idx"),
            models.Index(fields=["object_type", "object_id"], name="syncchange_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_repr}"


class SyncLock(models.Model):
    """A per-organization lease: `holder` is the run holding it until `expires_at`.

    Claimed with a conditional UPDATE (works the same on PostgreSQL and SQLite), renewed by the
    run's heartbeat; a killed worker's lease simply expires.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sync lock of {self.organization_id}: {self.holder or 'free'}"


class SyncConflict(models.Model):
    """A person of the organization's G Suite whose address another organization's account
    already uses: the sync skips them (never fails the run) and support resolves it.

    One row per (organization, Google id); `last_seen_at` moves with every run that meets it.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    google_id = models.CharField(max_length=64)
    email = models.CharField(max_length=254)
    # The account that holds the address, in another organization (kept, flagged for support).
    other_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_run = models.ForeignKey(
        SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "google_id"], name="syncconflict_unique_person"
            )
        ]
        indexes = [models.Index(fields=["email"], name="syncconflict_email_idx")]

    def __str__(self) -> str:
        return f"{self.email}: used by an account of another organization"


# --- real-time sync (integrations/realtime) ----------------------------------------------------


class PushChannel(models.Model):
    """A Google push channel Hearth opened (`users.watch` for one user event, or the Reports
    `activities.watch`): Google posts to the webhook with the channel id, our secret token and
    its resource id, and the webhook accepts a notification only when all three match a channel
    that is neither stopped nor expired."""

    class Kind(models.TextChoices):
        USERS = "users", "Users"
        ACTIVITIES = "activities", "Admin activities"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # the users.watch event ("add", "delete", "update", "undelete", "makeAdmin"); "" for the feed
    event = models.CharField(max_length=16, blank=True)
    channel_id = models.CharField(max_length=64, unique=True)
    token = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # the `sync` message Google sends first arrived: the address works
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_number = models.BigIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "stopped_at"], name="pushchannel_org_live_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} channel {self.event or ''} of {self.organization_id}"


class RealtimeState(models.Model):
    """Per organization: the activity feed's cursor and pace, push health, and the lag shown on
    the G Suite card, the settings page and the support console."""

    class PushHealth(models.TextChoices):
        UNKNOWN = "unknown", "Starting"
        HEALTHY = "healthy", "Working"
        DEGRADED = "degraded", "Degraded"

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # The feed reads Google's admin activities from `feed_cursor` less an overlap wider than
    # Google's reporting lag; the cursor moves only after a read that completed.
    feed_cursor = models.DateTimeField(null=True, blank=True)
    feed_next_poll_at = models.DateTimeField(null=True, blank=True)
    # polls in a row that found nothing: the poll backs off with them (bounded)
    feed_idle_polls = models.PositiveIntegerField(default=0)
    feed_polled_at = models.DateTimeField(null=True, blank=True)
    feed_failed_at = models.DateTimeField(null=True, blank=True)
    feed_error = models.CharField(max_length=500, blank=True)
    push_health = models.CharField(
        max_length=16, choices=PushHealth.choices, default=PushHealth.UNKNOWN
    )
    push_health_changed_at = models.DateTimeField(null=True, blank=True)
    push_health_reason = models.CharField(max_length=300, blank=True)
    # the last notification about a change (not a channel's `sync` message)
    push_received_at = models.DateTimeField(null=True, blank=True)
    # the oldest user change the feed showed that push has not yet been seen to deliver
    push_expected_since = models.DateTimeField(null=True, blank=True)
    last_change_received_at = models.DateTimeField(null=True, blank=True)
    last_change_applied_at = models.DateTimeField(null=True, blank=True)
    # Google's event time (or, without one, the notification's arrival) -> applied in Hearth,
    # for the last applied refresh
    lag_seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Real-time sync of {self.organization_id} (push {self.push_health})"


class PendingRefresh(models.Model):
    """A person or group Google said changed, waiting to be refreshed through the sync engine.

    One row per (organization, kind, key): a burst of notifications about one person merges
    into one refresh. A row leaves only when a refresh that started after it arrived has
    applied it — while another run holds the organization's lock, it waits here, never lost.
    """

    class Kind(models.TextChoices):
        USER = "user", "Person"
        GROUP = "group", "Group"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Google id or email, as the notification named it
    key = models.CharField(max_length=254)
    source = models.CharField(max_length=8, choices=[("push", "Push"), ("feed", "Feed")])
    # the earliest Google event time of the merged notifications (None: push names none)
    event_at = models.DateTimeField(null=True, blank=True)
    # the first and the latest notification of the burst
    first_received_at = models.DateTimeField()
    received_at = models.DateTimeField()
    # a burst is merged until then
    due_at = models.DateTimeField()
    # set when a refresh meant to apply it was sent (a lost message is sent again)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "key"], name="pendingrefresh_unique_key"
            )
        ]
        indexes = [models.Index(fields=["due_at"], name="pendingrefresh_due_idx")]

    def __str__(self) -> str:
        return f"Refresh {self.kind} {self.key} of {self.organization_id}"


class FeedEvent(models.Model):
    """An admin activity already handled (by the feed or its push channel): the overlapping
    reads see events again; they are acted on once. Pruned after the overlap window."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    event_id = models.CharField(max_length=64)
    event_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event_id"], name="feedevent_unique_event"
            )
        ]
        indexes = [models.Index(fields=["event_at"], name="feedevent_time_idx")]

    def __str__(self) -> str:
        return f"Admin activity {self.event_id} of {self.organization_id}"
