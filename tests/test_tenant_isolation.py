"""Tenant isolation: every URL that names an object answers 404 to another organization's admin.

The harness walks *every* URL pattern of Hearth's URLconf. A pattern with parameters must have
an entry in OBJECTS_BY_PARAMETER that creates an object of a given organization and returns the
parameter's value — so a new page cannot be added without joining this test (the walk fails
with "add it to OBJECTS_BY_PARAMETER"). Each URL is requested twice by the same Hearth admin:
with their own organization's object (must not be 404: the page works) and with another
organization's object (must be 404).
"""

from collections.abc import Callable, Iterator
from uuid import uuid4

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from integrations.models import SyncRun
from integrations.services import integration_request_admin
from organizations.models import Organization
from tests.usermanagement.factories import AdminFactory, UserFactory
from usermanagement.models import Group

pytestmark = pytest.mark.django_db

# URL prefixes that are not organization-scoped pages: vendor console, sign-in flows, health,
# and invitation links (addressed by a secret token, for people not yet signed in; the
# invitations tests cover foreign and stale tokens).
NOT_TENANT_PAGES = ("support/", "accounts/", "healthz", "invitations/")

def _finalize_link_token(organization: Organization) -> str:
    """The secret of a Path B request sent within `organization`."""
    asker, colleague = AdminFactory.create_batch(2, organization=organization)
    return integration_request_admin(
        organization=organization, colleague=colleague, acting_user=asker
    ).request_token


OBJECTS_BY_PARAMETER: dict[str, Callable[[Organization], object]] = {
    "person_id": lambda organization: UserFactory(organization=organization).pk,
    "token": _finalize_link_token,
    "group_id": lambda organization: Group.objects.create(
        organization=organization, google_id=uuid4().hex, email=f"{uuid4().hex[:8]}@g.example"
    ).pk,
    "run_id": lambda organization: SyncRun.objects.create(
        organization=organization, trigger=SyncRun.Trigger.SCHEDULE
    ).pk,
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner_namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def tenant_patterns_with_parameters() -> list[tuple[str, str, list[str]]]:
    found = []
    for route, namespace, entry in _walk(get_resolver()):
        if route.startswith(NOT_TENANT_PAGES):
            continue
        parameters = sorted(entry.pattern.regex.groupindex)
        if parameters:
            found.append((route, f"{namespace}{entry.name}", parameters))
    return found


def _request(client, url: str):
    response = client.get(url)
    if response.status_code == 405:  # a POST-only action
        response = client.post(url)
    return response


def test_every_tenant_url_parameter_has_a_way_to_make_objects():
    patterns = tenant_patterns_with_parameters()
    assert patterns, "the walk found no URL with parameters: is the URLconf loaded?"
    missing = {p for _, _, params in patterns for p in params} - OBJECTS_BY_PARAMETER.keys()
    assert not missing, f"add {sorted(missing)} to OBJECTS_BY_PARAMETER in this file"


@pytest.mark.parametrize(
    ("route", "url_name", "parameters"),
    tenant_patterns_with_parameters(),
    ids=[route for route, _, _ in tenant_patterns_with_parameters()],
)
def test_another_organizations_object_answers_404(client, route, url_name, parameters):
    admin = AdminFactory()
    other_organization = AdminFactory().organization
    client.force_login(admin)

    own = {name: OBJECTS_BY_PARAMETER[name](admin.organization) for name in parameters}
    others = {name: OBJECTS_BY_PARAMETER[name](other_organization) for name in parameters}

    own_response = _request(client, reverse(url_name, kwargs=own))
    assert own_response.status_code != 404, f"{route} fails for the organization's own object"
    assert _request(client, reverse(url_name, kwargs=others)).status_code == 404
