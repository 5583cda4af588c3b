from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings

from organizations.models import Organization
from organizations.selectors import email_domain, email_domain_blocked


def signup_domain_refusal() -> str:
    # One sentence for every reason a domain is refused (another organization connected it or
    # signed up with it): the public sign-up page must not tell who uses Hearth.
    return (
        "This address can't be used to create an organization. Sign up with another work "
        f"address, or ask a {settings.PRODUCT_NAME} admin of your company to invite you."
    )


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
        # The new organization's primary domain is the address's domain: refused when another
        # organization signed up with it or connected its Workspace for it. Both lookups always
        # run, so neither reason answers faster than the other.
        signed_up = Organization.objects.filter(primary_domain=email_domain(email)).exists()
        connected = email_domain_blocked(email=email, organization=None)
        if signed_up or connected:
            raise forms.ValidationError(signup_domain_refusal())
        return email
