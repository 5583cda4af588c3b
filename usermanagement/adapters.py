from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from .services import organization_signup


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        return organization_signup(
            user=user, organization_name=form.cleaned_data["organization_name"]
        )

    def get_from_email(self):
        return settings.DEFAULT_FROM_EMAIL


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign in with Google is for people Hearth already knows (synced from the directory):
    it never creates accounts or organizations on its own."""

    def is_open_for_signup(self, request, sociallogin):
        return False
