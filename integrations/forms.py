"""Forms of the connect wizard and the G Suite settings page. The colleague lists come from the
signed-in admin's organization only (views pass `request.organization`), so no other tenant's
people can ever be chosen."""

import zoneinfo

from django import forms

from usermanagement.models import User
from usermanagement.selectors import admins_active


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person: User) -> str:
        return f"{person.full_name} ({person.email})" if person.full_name else person.email


class ColleagueForm(forms.Form):
    """Path B and *Change sync account?*: pick one of the organization's Hearth admins."""

    colleague = ColleagueChoiceField(
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Colleague",
        error_messages={
            "required": "Choose the colleague who should set up the synchronization.",
            "invalid_choice": "Choose one of the listed colleagues.",
        },
    )

    def __init__(self, *args, organization, asking_user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # You do not send yourself an email: if you are a G Suite admin, Path A is yours.
        self.fields["colleague"].queryset = (
            admins_active(organization=organization)
            .exclude(pk=asking_user.pk)
            .order_by("first_name", "last_name", "email")
        )


class ScopeForm(forms.Form):
    WHOLE, CHOSEN = "domain", "units"
    scope = forms.ChoiceField(
        label="Who is synced",
        choices=[(WHOLE, "The whole domain"), (CHOSEN, "Only chosen organizational units")],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    included = forms.MultipleChoiceField(
        label="Organizational units to sync",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="Sub-units are included.",
    )
    excluded = forms.MultipleChoiceField(
        label="Organizational units to leave out",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="Never synced, even inside a chosen unit.",
    )

    def __init__(self, *args, org_units: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(unit, unit) for unit in org_units if unit != "/"]
        self.fields["included"].choices = choices
        self.fields["excluded"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.CHOSEN and not data.get("included"):
            self.add_error("included", "Choose at least one organizational unit.")
        if data.get("scope") == self.WHOLE:
            data["included"] = []
        return data


# The largest safety threshold that still means something: more people than any organization
# has (a bigger number would switch the safety off, and would not fit the column).
SAFETY_THRESHOLD_MAX = 1_000_000
SAFETY_THRESHOLD_WORDS = (
    f"Enter a whole number of people from 1 to {SAFETY_THRESHOLD_MAX:,}, or leave it empty for "
    "the default rule."
)


class SafetyForm(forms.Form):
    def __init__(self, *args, default: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if default is not None:
            self.fields["deactivation_threshold"].widget.attrs["placeholder"] = (
                f"Default rule: {default} today"
            )

    deactivation_threshold = forms.IntegerField(
        label="Hold removals above",
        required=False,
        min_value=1,
        max_value=SAFETY_THRESHOLD_MAX,
        error_messages={
            "invalid": SAFETY_THRESHOLD_WORDS,
            "min_value": SAFETY_THRESHOLD_WORDS,
            "max_value": SAFETY_THRESHOLD_WORDS,
        },
        help_text="When one sync would deactivate or archive more people than this, nobody is "
        "removed until an admin approves. Empty: 20% of active people or 500, whichever is "
        "lower, but never below 10.",
    )


def _time_zones() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Times are shown in",
        choices=_time_zones,
        error_messages={"invalid_choice": "Choose a time zone from the list."},
        help_text="The sync history, the next sync and reviews use this time zone.",
    )


class SyncAccountAskForm(ColleagueForm):
    """*Change sync account?* while the sync runs: the colleague to ask by email."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colleague"].error_messages["required"] = (
            "Choose the colleague who should become the sync account."
        )
