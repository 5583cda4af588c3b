"""The auto-license policy form (shown on the G Suite settings page).

Org units are checked against the directory (the view passes the domain's org units from
Google, or the units people are in when Google cannot be asked): a unit that does not exist is
refused with the closest ones as suggestions ("/sales" → "Did you mean /Sales?"), because a
unit nobody is in would silently give new hires no seat.
"""

import difflib

from django import forms

RELEASE_DAYS_MAX = 365
RELEASE_DAYS_WORDS = f"Enter a number of days from 0 to {RELEASE_DAYS_MAX}."


def _units(text: str) -> list[str]:
    units = []
    for line in text.replace(",", "\n").splitlines():
        line = line.strip()
        if line:
            units.append("/" + line.strip("/"))
    return sorted(set(units))


def org_unit_suggestions(unit: str, known: list[str]) -> list[str]:
    """Known org units that look like `unit` (another case, a typo)."""
    by_lower = {k.lower(): k for k in known}
    if unit.lower() in by_lower:
        return [by_lower[unit.lower()]]
    return difflib.get_close_matches(unit, known, n=3, cutoff=0.6)


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
        max_value=RELEASE_DAYS_MAX,
        error_messages={
            "required": RELEASE_DAYS_WORDS,
            "invalid": RELEASE_DAYS_WORDS,
            "min_value": RELEASE_DAYS_WORDS,
            "max_value": RELEASE_DAYS_WORDS,
        },
        help_text="0 releases it at once.",
    )

    def __init__(self, *args, org_units: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org_units = org_units

    def clean_auto_assign_org_units(self):
        units = _units(self.cleaned_data["auto_assign_org_units"])
        if self.org_units is None:
            return units
        known = [unit for unit in self.org_units if unit != "/"]
        problems = []
        for unit in units:
            if unit in known:
                continue
            suggestions = org_unit_suggestions(unit, known)
            hint = (
                " Did you mean " + " or ".join(suggestions) + "?"
                if suggestions
                else " Org units are written as in the G Suite Admin Panel, e.g. /Sales."
            )
            problems.append(f"{unit} is not an organizational unit of your G Suite.{hint}")
        if problems:
            raise forms.ValidationError(problems)
        return units
