import factory

from integrations.models import Integration
from tests.organizations.factories import OrganizationFactory


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    organization = factory.SubFactory(OrganizationFactory)
