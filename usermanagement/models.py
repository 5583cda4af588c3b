"""People of an organization (the custom user model) and, later, groups and licenses."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_hearth_admin(self) -> bool:
        return self.organization_id is not None and self.role == self.Role.ADMIN
