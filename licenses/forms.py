"""The auto-license policy form (shown on the G Suite settings page)."""

from django import forms


def _units(text: str) -> list[str]:
    units = []
    for line in text.replace(",", "\n").splitlines():
        line = line.strip()
        if line:
            units.append("/" + line.strip("/"))
    return sorted(set(units))


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
