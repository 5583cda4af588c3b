"""Forms of the sandbox's admin console; the views hand cleaned data to googlesandbox.operations."""

from django import forms

from ..operations import FAULT_KINDS

ROLE_CHOICES = [("MEMBER", "Member"), ("MANAGER", "Manager"), ("OWNER", "Owner")]
FAULT_LABELS = {
    "429": "429 Too Many Requests",
    "500": "500 Internal error",
    "503": "503 Service unavailable",
    "userRateLimitExceeded": "403 userRateLimitExceeded",
    "quotaExceeded": "403 quotaExceeded",
    "timeout": "Timeout (no answer)",
}


def _local_part(value: str) -> str:
    value = value.strip().lower()
    if not value or "@" in value or " " in value:
        raise forms.ValidationError("Enter the part before the @ (letters, digits, . - _).")
    return value


class SandboxForm(forms.Form):
    """Labels without Django's trailing colon, as Google's forms have them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DomainEmailField(forms.CharField):
    """The part of an address before "@<domain>" (the domain is fixed by the page)."""

    def clean(self, value):
        return _local_part(super().clean(value) or "")


class UserAddForm(SandboxForm):
    local_part = DomainEmailField(label="Primary email", max_length=64)
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    title = forms.CharField(label="Job title", max_length=200, required=False)
    department = forms.CharField(max_length=200, required=False)
    org_unit_path = forms.CharField(label="Organizational unit", initial="/", max_length=500)
    is_admin = forms.BooleanField(label="Super admin", required=False)


class UserEditForm(SandboxForm):
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    title = forms.CharField(label="Job title", max_length=200, required=False)
    department = forms.CharField(max_length=200, required=False)
    org_unit_path = forms.CharField(label="Organizational unit", max_length=500)


class RenameForm(SandboxForm):
    local_part = DomainEmailField(label="New primary email", max_length=64)


class GroupAddForm(SandboxForm):
    local_part = DomainEmailField(label="Group email", max_length=64)
    name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(max_length=1000, required=False)


class GroupRenameForm(SandboxForm):
    name = forms.CharField(label="Group name", max_length=200)


class MemberAddForm(SandboxForm):
    member_email = forms.CharField(
        label="User or group email",
        max_length=320,
        help_text="A user or group of this domain (a group becomes a nested group), or an "
        "outside address.",
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="MEMBER")

    def clean_member_email(self):
        value = self.cleaned_data["member_email"].strip().lower()
        if "@" not in value:
            raise forms.ValidationError("Enter a full email address.")
        return value


class FaultsForm(SandboxForm):
    latency_ms = forms.IntegerField(label="Added latency (ms)", min_value=0, max_value=60_000)
    jitter_ms = forms.IntegerField(label="Jitter (± ms)", min_value=0, max_value=60_000)
    qpm = forms.IntegerField(
        label="Quota (queries per minute per user)", min_value=1, max_value=1_000_000
    )
    drop_push = forms.BooleanField(label="Drop push notifications", required=False)
    timeout_seconds = forms.FloatField(
        label="Timeout fault waits (seconds)", min_value=0, max_value=120
    )
    seed = forms.IntegerField(
        label="Random seed", required=False, help_text="Empty: random draws; a number: the "
        "same errors for the same sequence of calls"
    )
    # Google's own behaviours (see googlesandbox/README.md)
    search_lag_seconds = forms.FloatField(
        label="Search index lag (seconds)", min_value=0, max_value=86_400
    )
    alias_matching = forms.BooleanField(label="email: searches match aliases", required=False)
    concurrent_limit = forms.IntegerField(
        label="Concurrent requests per account (0 = no limit)", min_value=0, max_value=10_000
    )
    install_delay_seconds = forms.FloatField(
        label="Install takes effect after (seconds)", min_value=0, max_value=86_400
    )
    channel_ttl_max_seconds = forms.IntegerField(
        label="Push channel lifetime cap (seconds)", min_value=1, max_value=30 * 86_400
    )
    page_token_ttl_seconds = forms.IntegerField(
        label="Page tokens expire after (seconds)", min_value=1, max_value=30 * 86_400
    )
    reports_lag_seconds = forms.FloatField(
        label="Reports lag (seconds)", min_value=0, max_value=86_400
    )
    login_push_update = forms.BooleanField(
        label="A sign-in sends an update push", required=False
    )
    retention_days = forms.FloatField(
        label="Deleted users kept (days)", min_value=0, max_value=365
    )

    SETTINGS = (
        "latency_ms", "jitter_ms", "qpm", "drop_push", "timeout_seconds", "search_lag_seconds",
        "alias_matching", "concurrent_limit", "install_delay_seconds", "channel_ttl_max_seconds",
        "page_token_ttl_seconds", "reports_lag_seconds", "login_push_update", "retention_days",
    )
    FLAGS = ("drop_push", "alias_matching", "login_push_update")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in FAULT_KINDS:
            self.fields[f"rate_{kind}"] = forms.FloatField(
                label=f"{FAULT_LABELS.get(kind, kind)} rate",
                min_value=0,
                max_value=1,
                required=False,
                help_text="0 to 1",
            )

    def error_rate_fields(self):
        return [self[f"rate_{kind}"] for kind in FAULT_KINDS]

    def limit_fields(self):
        return [self[name] for name in self.SETTINGS[5:] if name not in self.FLAGS]

    def flag_fields(self):
        return [self[name] for name in ("alias_matching", "login_push_update")]

    def error_rates(self) -> dict[str, float]:
        return {kind: self.cleaned_data.get(f"rate_{kind}") or 0.0 for kind in FAULT_KINDS}

    def settings(self) -> dict:
        """Keyword arguments for operations.faults_set (a cleared seed stays as it was)."""
        values = {name: self.cleaned_data[name] for name in self.SETTINGS}
        if self.cleaned_data.get("seed") is not None:
            values["seed"] = self.cleaned_data["seed"]
        return values

    @classmethod
    def initial_from(cls, faults) -> dict:
        initial = {name: getattr(faults, name) for name in cls.SETTINGS}
        initial["seed"] = faults.fault_seed
        for kind in FAULT_KINDS:
            initial[f"rate_{kind}"] = faults.error_rates.get(kind, 0)
        return initial
