import factory
from allauth.account.models import EmailAddress

from tests.organizations.factories import OrganizationFactory
from usermanagement.models import User

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.LazyAttributeSequence(
        lambda person, n: (
            f"person{n}@{person.organization.primary_domain}"
            if person.organization
            else f"staff{n}@hearth.example"
        )
    )
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.MEMBER
    status = User.Status.ACTIVE
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified_email(person, create, extracted, **kwargs):
        # allauth refuses unverified addresses at sign-in (verification is mandatory).
        if create:
            EmailAddress.objects.create(
                user=person, email=person.email, verified=True, primary=True
            )


class AdminFactory(UserFactory):
    role = User.Role.ADMIN


class StaffFactory(UserFactory):
    organization = None
    is_staff = True
    is_superuser = True
