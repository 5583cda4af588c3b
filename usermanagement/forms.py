from allauth.account.forms import SignupForm
from django import forms

from organizations.models import Organization


class OrganizationSignupForm(SignupForm):
    """Sign up creates an organization; the person becomes its first Hearth admin."""

    organization_name = forms.CharField(
        label="Organization name",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Acme Inc.", "autocomplete": "organization"}),
    )
    field_order = ["organization_name", "email", "password1", "password2"]

    def clean_email(self):
        email = super().clean_email()
        domain = email.rsplit("@", 1)[-1].lower()
        if Organization.objects.filter(primary_domain=domain).exists():
            raise forms.ValidationError(
                f"{domain} already has a Hearth organization. Ask one of its Hearth admins "
                "to invite you."
            )
        return email
