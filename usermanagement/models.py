"""People of an organization (the custom user model), their Google groups and memberships.

People come from sign-up, invitations or the G Suite sync. Synced people carry Google's
immutable user id (`google_id`, unique per organization — emails change and are reused) and
the Google fields the sync copies; Hearth-only fields (role, status decided by a person,
licenses, preferences) are never overwritten by the sync. `google_state` is the Google state
the sync last applied (active / suspended / deleted / missing), kept apart from Hearth's
`status` so that a decision not to follow Google (the last admin kept, a held plan rejected) is
remembered and not re-proposed every run.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Cast, Concat, Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .rules import name_for_display


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email: str):
        # Email is unique only among people who are not archived (see User.Meta).
        return self.exclude(status=User.Status.ARCHIVED).get(email__iexact=email)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        """Vendor staff: no organization, access to the support console."""
        fields.update(is_staff=True, is_superuser=True, organization=None)
        return self.create_user(email, password, **fields)


class GoogleState(models.TextChoices):
    ACTIVE = "active", "Active in G Suite"
    SUSPENDED = "suspended", "Suspended in G Suite"
    DELETED = "deleted", "Deleted in G Suite"
    MISSING = "missing", "Not in G Suite (or outside the sync scope)"


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        ADMIN = "admin", "Hearth admin"
        MEMBER = "member", "Member"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DEACTIVATED = "deactivated", "Deactivated"
        ARCHIVED = "archived", "Archived"

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        help_text="Empty for vendor support staff.",
    )
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Derived from status so that Django's and allauth's `is_active` checks (sign-in, password
    # reset) can never disagree with Hearth's own notion of an active person.
    is_active = models.GeneratedField(
        expression=models.Case(
            models.When(status="active", then=models.Value(True)),
            default=models.Value(False),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    is_staff = models.BooleanField(
        default=False, help_text="Vendor support staff: may use the support console."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    # --- G Suite (written only by the sync, through usermanagement.services) ----------------
    google_id = models.CharField(max_length=32, null=True, blank=True)
    google_etag = models.CharField(max_length=64, blank=True)
    google_state = models.CharField(
        max_length=16, choices=GoogleState.choices, blank=True, default=""
    )
    aliases = models.JSONField(default=list, blank=True)
    org_unit_path = models.CharField(max_length=500, blank=True)
    # Kept whole, however long Google's are: text that is cut silently misleads (issue 16).
    title = models.TextField(blank=True)
    department = models.TextField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    manager_email = models.CharField(max_length=254, blank=True)
    photo_url = models.URLField(max_length=500, blank=True)
    google_is_admin = models.BooleanField(default=False)
    google_archived = models.BooleanField(
        default=False, help_text="Google's own 'archived user' flag (an archived license)."
    )
    google_created_at = models.DateTimeField(null=True, blank=True)
    google_last_login_at = models.DateTimeField(null=True, blank=True)
    google_synced_at = models.DateTimeField(null=True, blank=True)
    # Bumped to end every session of the person at once (deactivation), see below.
    session_generation = models.PositiveIntegerField(default=0)
    # What the people list searches (name, email, aliases), lower-cased in one column so that
    # one trigram index (PostgreSQL, migration 0004) answers "contains" at 100,000 people.
    search_text = models.GeneratedField(
        expression=Lower(
            Concat(
                "first_name",
                models.Value(" "),
                "last_name",
                models.Value(" "),
                "email",
                models.Value(" "),
                Cast("aliases", models.TextField()),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # Google reuses a deleted person's address, so an archived person keeps theirs
            # while a new person takes it.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(status="archived"),
                name="user_email_unique_unless_archived",
            ),
            models.UniqueConstraint(
                fields=["organization", "google_id"],
                condition=models.Q(google_id__isnull=False),
                name="user_google_id_unique_per_organization",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            # status INCLUDEd: the People list's org-unit filter counts in an index-only scan
            models.Index(
                fields=["organization", "org_unit_path"],
                name="user_org_unit_idx",
                include=["status"],
            ),
            # The people list's sort orders: a page is the first 50 entries of one of these.
            # status INCLUDEd: a deep page of the default list (current people by name) finds
            # its ids in an index-only scan (views.PeoplePaginator) instead of reading every
            # skipped person's row.
            models.Index(
                fields=["organization", "last_name", "first_name", "email", "id"],
                name="user_org_name_idx",
                include=["status"],
            ),
            models.Index(fields=["organization", "email", "id"], name="user_org_email_idx"),
            models.Index(fields=["organization", "date_joined", "id"], name="user_org_joined_idx"),
            models.Index(
                fields=["organization", "google_last_login_at", "id"], name="user_org_login_idx"
            ),
            # The few Hearth admins of an organization, found without reading its people:
            # every sync run that removes someone counts them (the last admin is kept).
            models.Index(
                fields=["organization", "status"],
                name="user_org_admins_idx",
                condition=models.Q(role="admin"),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        # Shown in pages and emails: without bidi controls (usermanagement.rules).
        return name_for_display(f"{self.first_name} {self.last_name}").strip()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_hearth_admin(self) -> bool:
        return self.organization_id is not None and self.role == self.Role.ADMIN

    def _get_session_auth_hash(self, secret=None):
        # Sessions carry this hash; bumping session_generation (one set-based UPDATE for many
        # people) makes every existing session of the person invalid, even after reactivation.
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = (
            self.password
            if not self.session_generation
            else (f"{self.password}:{self.session_generation}")
        )
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def source(self) -> str:
        return "google" if self.google_id else "invited"


class Group(models.Model):
    """A Google group of the organization (synced; keyed on Google's group id)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="google_groups"
    )
    google_id = models.CharField(max_length=64)
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    etag = models.CharField(max_length=64, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # Google no longer lists the group, and an admin rejected its deletion (a held plan) at
    # this time: the sync keeps it and does not propose the deletion again until Google lists
    # it once more (which clears this).
    kept_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "google_id"], name="group_google_id_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "email"], name="group_org_email_idx")]

    def __str__(self) -> str:
        return self.email


class GroupMembership(models.Model):
    """A member of a group: a person, a nested group, or an external address.

    `direct` is False for people who are members only through a nested group (flattened when
    the integration says so). External members keep their address and never become people.
    """

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        MEMBER = "member", "Member"

    class MemberType(models.TextChoices):
        USER = "user", "Person"
        GROUP = "group", "Group"
        EXTERNAL = "external", "External"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    member_type = models.CharField(max_length=16, choices=MemberType.choices)
    # Google's id of the member (user, group or external id) — the key within a group.
    member_google_id = models.CharField(max_length=64)
    member_email = models.CharField(max_length=254, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    member_group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    direct = models.BooleanField(default=True)
    # As Group.kept_since: the membership's removal was rejected in a review.
    kept_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "member_google_id"], name="membership_unique_member"
            )
        ]
        indexes = [
            models.Index(fields=["user"], name="membership_user_idx"),
            models.Index(fields=["organization", "member_type"], name="membership_org_type_idx"),
            # Memberships through a nested group, found without reading every membership:
            # every run that changes a group looks for them (33 ms at 300,000 memberships).
            models.Index(
                fields=["organization", "group"],
                name="membership_org_inherited_idx",
                condition=models.Q(direct=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_email or self.member_google_id} in {self.group_id}"
