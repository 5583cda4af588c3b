"""allauth adapters: sign-up creates an organization; every sign-in (password or Google) is
checked against Hearth's rules (access.signin); Sign in with Google never signs up; a
signed-in person cannot attach an address of a domain another organization connected."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.shortcuts import render

from organizations.selectors import email_domain_blocked
from usermanagement.selectors import person_for_google_sub
from usermanagement.services import organization_signup, person_email_verified

from .signin import SignInRefusal, sign_in_refusal


def refusal_response(request, refusal: SignInRefusal):
    return render(request, "access/signin_refused.html", {"refusal": refusal}, status=403)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        return organization_signup(
            user=user, organization_name=form.cleaned_data["organization_name"]
        )

    def clean_email(self, email: str) -> str:
        """Every address allauth validates (sign-up, the e-mail page, password reset): a person
        of an organization may not add an address of a domain another organization connected —
        it would become theirs and collide with the owner's sync. Anonymous visitors are not
        judged here (password reset must keep working; sign-up checks its own form)."""
        email = super().clean_email(email)
        user = getattr(self.request, "user", None)
        organization = getattr(user, "organization", None) if user is not None else None
        if organization is not None and email_domain_blocked(
            email=email, organization=organization
        ):
            raise forms.ValidationError(
                "This address can't be used here. Use an address at a domain your "
                "organization uses."
            )
        return email

    def get_from_email(self):
        return settings.DEFAULT_FROM_EMAIL

    def pre_login(self, request, user, **kwargs):
        # Before allauth's own checks: a deactivated person or one without a seat gets the
        # page that says why and whom to ask, not allauth's generic "inactive account".
        refusal = sign_in_refusal(person=user)
        if refusal is not None:
            return refusal_response(request, refusal)
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign in with Google is for people Hearth already knows (synced from the directory):
    it never creates accounts or organizations on its own."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        if sociallogin.is_existing:
            person = sociallogin.user
        else:
            person = person_for_google_sub(sub=sociallogin.account.uid)
        if person is None:
            email = (sociallogin.account.extra_data or {}).get("email", "")
            raise ImmediateHttpResponse(
                refusal_response(request, SignInRefusal(reason="unknown", email=email))
            )
        refusal = sign_in_refusal(person=person)
        if refusal is not None:
            raise ImmediateHttpResponse(refusal_response(request, refusal))
        # Google vouches for a synced person's primary address (they just proved they own the
        # account), so allauth need not send a verification email before the first sign-in.
        person_email_verified(person=person)
        if not sociallogin.is_existing:
            sociallogin.connect(request, person)
