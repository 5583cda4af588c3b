"""Forms of the panel's own pages (Hearth admins)."""

from django import forms


class AdminAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="Someone already in your organization becomes an admin at once; anyone else "
        "gets an invitation by email.",
        widget=forms.EmailInput(attrs={"placeholder": "name@example.com", "autocomplete": "off"}),
    )
