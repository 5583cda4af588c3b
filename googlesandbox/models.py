"""Tables of the Google Workspace sandbox — its own state, never Hearth's.

They model what the emulated Google keeps per Workspace domain: the directory (users, groups,
members, org units), the domain-wide delegation grants that "install" an app, issued access
tokens, the Reports API admin activity log, push channels with their delivery outbox, and the
fault-injection settings. Every write goes through `googlesandbox.operations`; views only read.

Hot path: `users.list` pages of up to 500 over 100,000 users. Ordering columns use the "C"
collation (byte order) so that keyset pagination `(order_key, id) > (...)` and `prefix*` queries
(`LIKE 'abc%'`) run straight off the composite B-tree indexes below.
"""

from django.db import models

from . import conf


class ByteOrderCharField(models.CharField):
    """A CharField compared in byte order ("C" collation) on PostgreSQL.

    Byte order makes `LIKE 'abc%'` and row-value keyset comparisons index range scans. SQLite
    (local runs) already compares text bytewise and has no "C" collation, so none is set there.
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class Domain(models.Model):
    name = models.CharField(max_length=253, unique=True)
    customer_id = models.CharField(max_length=16, unique=True)
    organization_name = models.CharField(max_length=200, blank=True)
    api_access = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_domain"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Faults(models.Model):
    """Per-domain behaviour of the emulated Google: fault injection and Google's own limits.

    `error_rates` maps a kind ("429", "500", "503", "userRateLimitExceeded", "quotaExceeded",
    "timeout") to a probability in [0, 1]; `fault_seed` (with `fault_seed_set_at`, so that
    setting the same seed again restarts the sequence) makes the draws reproducible. The other
    fields are Google's behaviours, defaults from googlesandbox.conf (see the README).
    """

    domain = models.OneToOneField(Domain, on_delete=models.CASCADE, related_name="faults")
    latency_ms = models.PositiveIntegerField(default=0)
    jitter_ms = models.PositiveIntegerField(default=0)
    error_rates = models.JSONField(default=dict, blank=True)
    qpm = models.PositiveIntegerField(default=conf.default_qpm)
    drop_push = models.BooleanField(default=False)
    timeout_seconds = models.FloatField(default=10.0)
    fault_seed = models.BigIntegerField(null=True, blank=True)
    fault_seed_set_at = models.DateTimeField(null=True, blank=True)
    search_lag_seconds = models.FloatField(default=conf.default_search_lag_seconds)
    alias_matching = models.BooleanField(default=conf.default_alias_matching)
    concurrent_limit = models.PositiveIntegerField(default=conf.default_concurrent_limit)
    install_delay_seconds = models.FloatField(default=conf.default_install_delay_seconds)
    channel_ttl_max_seconds = models.PositiveIntegerField(
        default=conf.default_channel_ttl_max_seconds
    )
    page_token_ttl_seconds = models.PositiveIntegerField(
        default=conf.default_page_token_ttl_seconds
    )
    reports_lag_seconds = models.FloatField(default=conf.default_reports_lag_seconds)
    login_push_update = models.BooleanField(default=conf.default_login_push_update)
    retention_days = models.FloatField(default=conf.default_retention_days)

    class Meta:
        db_table = "gsandbox_faults"

    def __str__(self):
        return f"faults of {self.domain_id}"


class DomainName(models.Model):
    """A secondary domain or a domain alias of a customer (whose primary is `Domain`).

    Users and groups of a secondary domain belong to the customer's `Domain` row with addresses
    on the secondary name. A domain alias (of the primary or of a secondary domain, `alias_of`)
    gives every user of that domain an extra address, listed in `nonEditableAliases`.
    """

    KIND_SECONDARY, KIND_ALIAS = "secondary", "alias"
    KINDS = [(KIND_SECONDARY, "secondary domain"), (KIND_ALIAS, "domain alias")]

    customer = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=253, unique=True)
    kind = models.CharField(max_length=10, choices=KINDS)
    alias_of = models.CharField(max_length=253, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_domainname"

    def __str__(self):
        return self.name


class SandboxClock(models.Model):
    """One row: how far the sandbox clock runs ahead of real time (googlesandbox/clock.py)."""

    offset_seconds = models.FloatField(default=0.0)

    class Meta:
        db_table = "gsandbox_clock"

    def __str__(self):
        return f"clock +{self.offset_seconds}s"


class OrgUnit(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="org_units")
    org_unit_id = models.CharField(max_length=32)
    path = ByteOrderCharField(max_length=500)
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=64)

    class Meta:
        db_table = "gsandbox_orgunit"
        constraints = [
            models.UniqueConstraint(fields=["domain", "path"], name="gsandbox_orgunit_path_uniq")
        ]

    def __str__(self):
        return self.path

    @property
    def parent_path(self) -> str:
        parent = self.path.rsplit("/", 1)[0]
        return parent or "/"



class DirUser(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="users")
    google_id = models.CharField(max_length=32, unique=True)
    primary_email = ByteOrderCharField(max_length=320)
    aliases = models.JSONField(default=list, blank=True)
    given_name = ByteOrderCharField(max_length=100)
    family_name = ByteOrderCharField(max_length=100)
    org_unit_path = ByteOrderCharField(max_length=500, default="/")
    is_admin = models.BooleanField(default=False)
    suspended = models.BooleanField(default=False)
    suspension_reason = models.CharField(max_length=50, blank=True)
    archived = models.BooleanField(default=False)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    manager_email = models.CharField(max_length=320, blank=True)
    etag = models.CharField(max_length=64)
    creation_time = models.DateTimeField()
    last_login_time = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # sandbox time of the last change the search index must catch up with (null: seeded, i.e.
    # long before anyone searched); see UserSearchVersion
    changed_at = models.DateTimeField(null=True, blank=True)
    # the user's Directory resource as JSON, rewritten with the etag on every change: a
    # users.list page then joins 500 stored strings instead of building and encoding 500
    # dicts (the ≤ 30 ms page budget). Photo URLs hold PHOTO_BASE_PLACEHOLDER.
    resource_json = models.TextField(default="", blank=True)

    class Meta:
        db_table = "gsandbox_diruser"
        indexes = [
            # keyset pagination per order key. Partial on "live" so that ORDER BY (key, id)
            # is the index order after `domain_id = ?` (IS NULL on a leading column would not
            # let PostgreSQL skip the sort)
            models.Index(
                fields=["domain", "primary_email", "id"],
                name="gsandbox_user_email",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["domain", "given_name", "id"],
                name="gsandbox_user_given",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["domain", "family_name", "id"],
                name="gsandbox_user_family",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["domain", "primary_email", "id"],
                name="gsandbox_user_deleted",
                condition=models.Q(deleted_at__isnull=False),
            ),
            models.Index(fields=["primary_email"], name="gsandbox_user_lookup"),
            models.Index(
                fields=["domain", "changed_at"],
                name="gsandbox_user_changed",
                condition=models.Q(changed_at__isnull=False),
            ),
            # the few users with aliases: an `email:` search ORs them with the index range
            # of primary addresses (a BitmapOr) instead of reading every row's aliases
            models.Index(
                fields=["domain"],
                name="gsandbox_user_aliased",
                condition=~models.Q(aliases=[]),
            ),
        ]

    def __str__(self):
        return self.primary_email

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class UserSearchVersion(models.Model):
    """A user as the search index saw them from `valid_from` on (written on every change).

    `users.list` with a `query` reads the index as of (now - the domain's search lag): a user
    changed since then is matched against their latest version from before that moment (none:
    not found yet). The columns the search syntax reads carry DirUser's names, so one filter
    serves both tables.
    """

    user = models.ForeignKey(DirUser, on_delete=models.CASCADE, related_name="search_versions")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    valid_from = models.DateTimeField()
    primary_email = ByteOrderCharField(max_length=320)
    aliases = models.JSONField(default=list, blank=True)
    given_name = ByteOrderCharField(max_length=100)
    family_name = ByteOrderCharField(max_length=100)
    org_unit_path = ByteOrderCharField(max_length=500, default="/")
    is_admin = models.BooleanField(default=False)
    suspended = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=64)
    resource_json = models.TextField(default="", blank=True)

    class Meta:
        db_table = "gsandbox_usersearchversion"
        indexes = [models.Index(fields=["user", "valid_from"], name="gsandbox_search_version")]

    def __str__(self):
        return f"{self.primary_email} from {self.valid_from}"


class DirGroup(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="groups")
    google_id = models.CharField(max_length=32, unique=True)
    email = ByteOrderCharField(max_length=320)
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=1000, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    admin_created = models.BooleanField(default=True)
    etag = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_dirgroup"
        indexes = [models.Index(fields=["domain", "email", "id"], name="gsandbox_group_email")]
        constraints = [
            models.UniqueConstraint(fields=["domain", "email"], name="gsandbox_group_email_uniq")
        ]

    def __str__(self):
        return self.email


class DirMember(models.Model):
    ROLE_OWNER, ROLE_MANAGER, ROLE_MEMBER = "OWNER", "MANAGER", "MEMBER"
    ROLES = [(r, r) for r in (ROLE_OWNER, ROLE_MANAGER, ROLE_MEMBER)]
    TYPE_USER, TYPE_GROUP, TYPE_CUSTOMER = "USER", "GROUP", "CUSTOMER"
    TYPES = [(t, t) for t in (TYPE_USER, TYPE_GROUP, TYPE_CUSTOMER)]

    group = models.ForeignKey(DirGroup, on_delete=models.CASCADE, related_name="memberships")
    member_type = models.CharField(max_length=10, choices=TYPES, default=TYPE_USER)
    role = models.CharField(max_length=10, choices=ROLES, default=ROLE_MEMBER)
    # exactly one of user / member_group is set for internal members; an external member (an
    # address outside the domain) has neither and keeps its own email and id
    user = models.ForeignKey(
        DirUser, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    member_group = models.ForeignKey(
        DirGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="parent_memberships"
    )
    external_email = models.CharField(max_length=320, blank=True)
    external_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_dirmember"
        indexes = [models.Index(fields=["group", "id"], name="gsandbox_member_group")]

    def __str__(self):
        return f"member {self.pk} of group {self.group_id}"


class Grant(models.Model):
    """Domain-wide delegation: the domain lets `client_id` act for its users within `scopes`."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="grants")
    client_id = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    # sandbox time from which the grant works (Google takes a while to apply an install)
    effective_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "gsandbox_grant"
        constraints = [
            models.UniqueConstraint(fields=["domain", "client_id"], name="gsandbox_grant_uniq")
        ]

    def __str__(self):
        return f"grant {self.client_id} on {self.domain_id}"


class AccessToken(models.Model):
    token = models.CharField(max_length=128, unique=True)
    # null for a service account acting as itself (no `sub`): Google issues the token, but the
    # Admin APIs then refuse it
    domain = models.ForeignKey(Domain, null=True, on_delete=models.CASCADE, related_name="tokens")
    subject = models.ForeignKey(DirUser, null=True, on_delete=models.CASCADE, related_name="+")
    subject_email = models.CharField(max_length=320)
    client_id = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_accesstoken"

    def __str__(self):
        return f"token for {self.subject_email}"


class Activity(models.Model):
    """One Reports API admin activity (application "admin"), as Google logs it."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="activities")
    time = models.DateTimeField()
    unique_qualifier = models.CharField(max_length=24)
    actor_email = models.CharField(max_length=320)
    actor_profile_id = models.CharField(max_length=32, blank=True)
    event_type = models.CharField(max_length=40)
    event_name = models.CharField(max_length=60)
    parameters = models.JSONField(default=list)

    class Meta:
        db_table = "gsandbox_activity"
        indexes = [models.Index(fields=["domain", "-time", "-id"], name="gsandbox_activity_time")]

    def __str__(self):
        return f"{self.event_name} at {self.time}"


class PushChannel(models.Model):
    """A watch channel, POSTed to `address` until it expires or stops.

    `users.watch` (resource "users"): one event kind. `activities.watch` (resource
    "activities"): `event` is the eventName filter ("" for every event) of application
    `application_name`; `actor_email` is the userKey ("" for all).
    """

    RESOURCE_USERS, RESOURCE_ACTIVITIES = "users", "activities"

    resource = models.CharField(max_length=20, default=RESOURCE_USERS)
    application_name = models.CharField(max_length=40, blank=True)
    actor_email = models.CharField(max_length=320, blank=True)
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="push_channels")
    channel_id = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64, unique=True)
    resource_uri = models.CharField(max_length=1000)
    token = models.CharField(max_length=256, blank=True)
    address = models.CharField(max_length=1000)
    event = models.CharField(max_length=60, blank=True)
    expires_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_pushchannel"

    def __str__(self):
        return f"channel {self.channel_id} ({self.event})"


class PushOutbox(models.Model):
    """A pending push delivery; drained by the sandbox server's background thread."""

    channel = models.ForeignKey(PushChannel, on_delete=models.CASCADE, related_name="outbox")
    state = models.CharField(max_length=60)  # sync, a users.watch event, or an activity name
    body = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "gsandbox_pushoutbox"
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="gsandbox_outbox_pending",
                condition=models.Q(delivered_at__isnull=True, abandoned_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"push {self.state} on channel {self.channel_id}"
