"""Forms of the connect wizard. The colleague lists come from the signed-in admin's organization
only (views pass `request.organization`), so no other tenant's people can ever be chosen."""

from django import forms

from organizations.tenancy import scoped
from usermanagement.models import User


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
            scoped(User, organization)
            .filter(role=User.Role.ADMIN, status=User.Status.ACTIVE)
            .exclude(pk=asking_user.pk)
            .order_by("first_name", "last_name", "email")
        )
