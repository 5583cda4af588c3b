"""Forms of User Management's pages (groups, licenses, admins, G Suite settings)."""

from django import forms


class AdminAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="Someone already in your organization becomes an admin at once; anyone else "
        "gets an invitation by email.",
        widget=forms.EmailInput(attrs={"placeholder": "name@example.com", "autocomplete": "off"}),
    )


def _units(text: str) -> list[str]:
    units = []
    for line in text.replace(",", "\n").splitlines():
        line = line.strip()
        if line:
            units.append("/" + line.strip("/"))
    return sorted(set(units))


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
        help_text="When one sync would deactivate or archive more people than this, nobody is "
        "removed until an admin approves. Empty: 20% of active people or 500, whichever is "
        "lower, but never below 10.",
    )


class LicensePolicyForm(forms.Form):
    auto_assign = forms.BooleanField(
        label="Give newly synced people a seat automatically while seats remain", required=False
    )
    auto_assign_org_units = forms.CharField(
        label="Only for these organizational units",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Everyone"}),
        help_text="One per line, e.g. /Sales; empty means everyone. People outside them get a "
        "seat only from an admin.",
    )
    release_after_days = forms.IntegerField(
        label="Release the seat of deactivated or archived people after (days)",
        min_value=0,
        max_value=365,
        help_text="0 releases it at once.",
    )

    def clean_auto_assign_org_units(self):
        return _units(self.cleaned_data["auto_assign_org_units"])
