import factory

from support.access import support_group
from tests.usermanagement.factories import UserFactory


class SupportFactory(UserFactory):
    """Vendor support staff: no organization, staff, in the Support group (not a superuser)."""

    organization = None
    is_staff = True

    @factory.post_generation
    def support_group(person, create, extracted, **kwargs):
        if create:
            person.groups.add(support_group())
