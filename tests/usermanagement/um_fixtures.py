"""User Management pages in tests: serves usermanagement.urls_more under panel/users/ until
config/urls.py includes it (then the project's own URLconf is used as it is)."""

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse


def _included() -> bool:
    try:
        reverse("usermanagement:licenses")
    except NoReverseMatch:
        return False
    return True


@pytest.fixture(autouse=True)
def um_urls(settings):
    if not _included():
        settings.ROOT_URLCONF = "tests.usermanagement.urls_with_more"
        clear_url_caches()
    yield
    clear_url_caches()
