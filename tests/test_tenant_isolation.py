"""Tenant isolation over HTTP: every URL pattern of Hearth's URLconf, walked automatically.

The walk (`url_patterns()`) yields every pattern of the URLconf — Hearth's pages, the sign-in
flows, the support console — with the parameters of its whole route. Each pattern gets an
*access class*:

- `ADMIN`: a page of an organization's admin panel (everything under `panel/` by default);
- `MEMBER`: a page for any signed-in person of the organization;
- `PUBLIC`: reachable without signing in (sign-in flows, health, help, invitation links);
- `SUPPORT`: the vendor's support console (Django's admin under `support/`).

A pattern that none of `ACCESS_BY_NAME` / `ACCESS_BY_PREFIX` classifies fails the suite, as does
a parameter nobody knows how to fill: a new page cannot be added without joining it. Then:

- organization B's admin requesting A's objects gets 404 (never 403, which would confirm that
  the id exists), while A's admin gets the page;
- a plain member of A gets 403 on every admin page — with nothing of A's in the answer and
  nothing changed — and anonymous visitors are sent to sign in;
- nobody of an organization gets into the support console;
- every POST without a CSRF token is refused with 403 by the CSRF check, except the patterns
  listed in `CSRF_EXEMPT` (each with its reason; a listed view must really be exempt).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from integrations.models import SyncRun
from integrations.services import integration_request_admin
from organizations.models import Organization
from tests.tenants.rows import organization_rows
from tests.usermanagement.factories import AdminFactory, StaffFactory, UserFactory
from usermanagement.models import Group, User

pytestmark = pytest.mark.django_db

ADMIN, MEMBER, PUBLIC, SUPPORT = "admin", "member", "public", "support"
TENANT_PAGES = (ADMIN, MEMBER)

# Patterns outside the default prefixes, named one by one with who may use them.
ACCESS_BY_NAME: dict[str, str] = {
    "healthz": PUBLIC,  # the load balancer's probe
    "home": MEMBER,  # everyone's landing page (admins are sent on to the panel)
    "help_g_suite": PUBLIC,  # the help article the wizard's emails link to
    # Google posts push notifications here; the channel id, secret token and resource id
    # decide (tests/integrations/realtime cover forged ones)
    "push_notification": PUBLIC,
    "invitations:create": ADMIN,
    # Opened by the invited person, who has no account yet; addressed by a secret token (the
    # invitations tests cover foreign, used and stale tokens).
    "invitations:accept": PUBLIC,
}
ACCESS_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("panel/", ADMIN),
    ("support/", SUPPORT),
    ("accounts/", PUBLIC),  # allauth's sign-in, sign-up, password and e-mail flows
)

# POST endpoints that take no CSRF token, and why (each must really be csrf_exempt). A push
# webhook that Google calls belongs here; nothing a browser posts with cookies does.
CSRF_EXEMPT: dict[str, str] = {
    "push_notification": "Google posts it, with no cookie and no CSRF token; a notification is "
    "accepted only with a live channel's id, secret token and resource id.",
}


def _finalize_link_token(organization: Organization) -> str:
    """The secret of a Path B request sent within `organization`."""
    asker, colleague = AdminFactory.create_batch(2, organization=organization)
    return integration_request_admin(
        organization=organization, colleague=colleague, acting_user=asker
    ).request_token


# Tenant pages: how to make an object of a given organization for each URL parameter.
OBJECTS_BY_PARAMETER: dict[str, Callable[[Organization], object]] = {
    "person_id": lambda organization: UserFactory(organization=organization).pk,
    "token": _finalize_link_token,
    "group_id": lambda organization: (
        Group.objects.create(
            organization=organization, google_id=uuid4().hex, email=f"{uuid4().hex[:8]}@g.example"
        ).pk
    ),
    "run_id": lambda organization: (
        SyncRun.objects.create(organization=organization, trigger=SyncRun.Trigger.SCHEDULE).pk
    ),
}

# Public and support patterns: any value the route accepts (these pages are not about a
# tenant's object; what matters is who gets in and that POSTs need the CSRF token).
SAMPLE_BY_PARAMETER: dict[str, str] = {
    "app_label": "organizations",
    "object_id": "1",
    "content_type_id": "1",
    "id": "1",
    "url": "x",
    "key": "not-a-key",
    "uidb36": "1",
    "token": "not-a-token",
    "provider_id": "google",
}


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None
    parameters: tuple[str, ...]
    callback: Callable

    @property
    def access(self) -> str | None:
        if self.name in ACCESS_BY_NAME:
            return ACCESS_BY_NAME[self.name]
        for prefix, access in ACCESS_BY_PREFIX:
            if self.route.startswith(prefix):
                return access
        return None

    def url(self, values: dict) -> str:
        if self.name is None:  # e.g. Django admin's catch-all, allauth's legacy redirects
            return "/" + _route_fill(self.route, values)
        return reverse(self.name, kwargs={name: values[name] for name in self.parameters})

    def __str__(self) -> str:
        return self.route


def _route_fill(route: str, values: dict) -> str:
    """A URL of an unnamed pattern: its route with each `<conv:name>` and `(?P<name>...)`
    replaced by the value, and regex anchors dropped."""
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    while (start := route.find("(?P<")) != -1:
        name = route[start + 4 : route.index(">", start)]
        depth, end = 0, start
        for end in range(start, len(route)):  # up to the group's closing parenthesis
            depth += {"(": 1, ")": -1}.get(route[end], 0)
            if depth == 0:
                break
        route = route[:start] + str(values[name]) + route[end + 1 :]
    return route.replace("^", "").replace("$", "")


def _walk(resolver: URLResolver, prefix="", namespace="", parameters=()) -> Iterator[Pattern]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        found = (*parameters, *entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, route, inner_namespace, found)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Pattern(route, name, tuple(sorted(set(found))), entry.callback)


def url_patterns(*accesses: str) -> list[Pattern]:
    """Every pattern of the URLconf (of these access classes, when given)."""
    patterns = list(_walk(get_resolver()))
    return [p for p in patterns if not accesses or p.access in accesses]


def _ids(patterns: list[Pattern]) -> list[str]:
    return [pattern.route for pattern in patterns]


def _request(client, url: str):
    """GET, or POST for a POST-only action (the default test client skips the CSRF check)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


# --- the registry is complete ---------------------------------------------------------------------


def test_every_url_pattern_has_an_access_class_and_values_for_its_parameters():
    patterns = url_patterns()
    assert len(patterns) > 50, "the walk found few URL patterns: is the URLconf loaded?"
    unclassified = [str(p) for p in patterns if p.access is None]
    assert not unclassified, (
        f"say who may use {unclassified}: add them to ACCESS_BY_NAME in this file"
    )
    missing_objects = {
        parameter
        for pattern in patterns
        if pattern.access in TENANT_PAGES
        for parameter in pattern.parameters
    } - OBJECTS_BY_PARAMETER.keys()
    assert not missing_objects, f"add {sorted(missing_objects)} to OBJECTS_BY_PARAMETER"
    missing_samples = {
        parameter
        for pattern in patterns
        if pattern.access not in TENANT_PAGES
        for parameter in pattern.parameters
    } - SAMPLE_BY_PARAMETER.keys()
    assert not missing_samples, f"add {sorted(missing_samples)} to SAMPLE_BY_PARAMETER"
    unnamed_tenant_pages = [str(p) for p in patterns if p.name is None and p.access in TENANT_PAGES]
    assert not unnamed_tenant_pages, f"name these URL patterns: {unnamed_tenant_pages}"


def test_the_csrf_exemptions_are_real_and_still_exist():
    by_name = {pattern.name: pattern for pattern in url_patterns()}
    for name in CSRF_EXEMPT:
        assert name in by_name, f"{name} is listed in CSRF_EXEMPT but no longer exists"
        assert getattr(by_name[name].callback, "csrf_exempt", False), f"{name} is not exempt"


# --- organization B's admin, A's objects ----------------------------------------------------------

WITH_OBJECTS = [p for p in url_patterns(*TENANT_PAGES) if p.parameters]


@pytest.mark.parametrize("pattern", WITH_OBJECTS, ids=_ids(WITH_OBJECTS))
def test_another_organizations_object_answers_404(client, pattern):
    admin = AdminFactory()
    other_organization = AdminFactory().organization
    client.force_login(admin)

    own = {name: OBJECTS_BY_PARAMETER[name](admin.organization) for name in pattern.parameters}
    others = {name: OBJECTS_BY_PARAMETER[name](other_organization) for name in pattern.parameters}

    own_response = _request(client, pattern.url(own))
    assert own_response.status_code != 404, f"{pattern} fails for the organization's own object"
    assert _request(client, pattern.url(others)).status_code == 404


# --- a plain member, anonymous visitors -----------------------------------------------------------

ADMIN_PAGES = url_patterns(ADMIN)


@pytest.mark.parametrize("pattern", ADMIN_PAGES, ids=_ids(ADMIN_PAGES))
def test_a_member_is_refused_every_admin_page_and_sees_nothing(client, pattern):
    admin = AdminFactory()
    organization = admin.organization
    member = UserFactory(organization=organization)
    values = {name: OBJECTS_BY_PARAMETER[name](organization) for name in pattern.parameters}
    others = User.objects.filter(organization=organization).exclude(pk=member.pk)
    client.force_login(member)
    before = organization_rows(organization)  # after sign-in, which records last_login

    response = _request(client, pattern.url(values))

    assert response.status_code == 403, f"{pattern}: a member got {response.status_code}"
    content = response.content.decode()
    assert not [p.email for p in others if p.email in content], "a member saw people"
    assert organization_rows(organization) == before, f"{pattern}: a member changed data"


@pytest.mark.parametrize(
    "pattern", url_patterns(*TENANT_PAGES), ids=_ids(url_patterns(*TENANT_PAGES))
)
def test_anonymous_visitors_are_sent_to_sign_in(client, pattern):
    organization = AdminFactory().organization
    values = {name: OBJECTS_BY_PARAMETER[name](organization) for name in pattern.parameters}
    before = organization_rows(organization)

    response = _request(client, pattern.url(values))

    assert response.status_code == 302, f"{pattern}: {response.status_code}"
    assert response["Location"].startswith(reverse("account_login"))
    assert organization_rows(organization) == before


def test_members_have_their_own_pages():
    client = Client()
    client.force_login(UserFactory())
    for pattern in url_patterns(MEMBER):
        assert pattern.parameters == (), f"give {pattern} an entry in the member test"
        assert client.get(pattern.url({})).status_code == 200, pattern


# --- the support console --------------------------------------------------------------------------

SUPPORT_OPEN_TO_ALL = {"admin:login", "admin:logout"}


def test_nobody_of_an_organization_gets_into_the_support_console():
    admin = AdminFactory()
    member = UserFactory(organization=admin.organization)
    login = reverse("admin:login")
    refused = []
    for person in (admin, member):
        client = Client()
        client.force_login(person)
        for pattern in url_patterns(SUPPORT):
            if pattern.name in SUPPORT_OPEN_TO_ALL:
                continue
            response = client.get(pattern.url(SAMPLE_BY_PARAMETER))
            if response.status_code != 302 or not response["Location"].startswith(login):
                refused.append((person.role, str(pattern), response.status_code))
    assert not refused, f"support pages open to an organization's people: {refused}"


# --- CSRF -----------------------------------------------------------------------------------------


def _csrf_values(pattern: Pattern, organization: Organization) -> dict:
    if pattern.access in TENANT_PAGES:
        return {name: OBJECTS_BY_PARAMETER[name](organization) for name in pattern.parameters}
    return SAMPLE_BY_PARAMETER


def _csrf_refused(response) -> bool:
    # Django's CSRF failure page (django.views.csrf.csrf_failure); a view's own 403 differs.
    return response.status_code == 403 and b"CSRF verification failed" in response.content


TENANT_AND_PUBLIC = url_patterns(ADMIN, MEMBER, PUBLIC)


@pytest.mark.parametrize("pattern", TENANT_AND_PUBLIC, ids=_ids(TENANT_AND_PUBLIC))
def test_a_post_without_the_csrf_token_is_refused(pattern):
    """Signed in as an admin of the organization, who may use every page: the only reason
    left to refuse the POST is the missing token."""
    admin = AdminFactory()
    organization = admin.organization
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    client.get(reverse("home"))  # the CSRF cookie is set; only the token is missing
    url = pattern.url(_csrf_values(pattern, organization))
    before = organization_rows(organization)

    response = client.post(url, {"x": "1"})

    if pattern.name in CSRF_EXEMPT:
        assert not _csrf_refused(response)
        return
    assert _csrf_refused(response), f"{pattern}: a POST without token got {response.status_code}"
    assert organization_rows(organization) == before


def test_the_support_console_refuses_posts_without_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory())
    accepted = [
        (str(pattern), response.status_code)
        for pattern in url_patterns(SUPPORT)
        if pattern.name not in CSRF_EXEMPT
        and not _csrf_refused(response := client.post(pattern.url(SAMPLE_BY_PARAMETER), {}))
    ]
    assert not accepted, f"support pages that took a POST without token: {accepted}"
