"""Sign-in rate limiting (allauth's ACCOUNT_RATE_LIMITS): guessing one person's password is
refused after 5 failures in 5 minutes from any number of addresses, 10 failures a minute from
one address are refused whatever the account — and the count is shared by every process,
because production keeps it in Redis (its settings refuse any other cache: test_deploy_check).
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from tests.usermanagement.factories import TEST_PASSWORD, AdminFactory

ROOT = Path(__file__).resolve().parent.parent.parent
REFUSED = "Too many failed login attempts. Try again later."
WRONG = "not the password"


def sign_in(email: str, password: str, *, ip: str, forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    client = Client(REMOTE_ADDR=ip, **headers)
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    return response, "_auth_user_id" in client.session


def refused(response) -> bool:
    return REFUSED in response.content.decode()


@pytest.fixture
def clean_cache():
    cache.clear()  # the test settings' per-process cache
    yield
    cache.clear()


@pytest.mark.django_db
def test_guessing_one_persons_password_is_refused_from_any_address(clean_cache):
    person = AdminFactory()
    for attempt in range(5):
        response, signed_in = sign_in(person.email, WRONG, ip=f"198.51.100.{attempt}")
        assert not signed_in and not refused(response)

    # The sixth try is refused, from a new address, even with the right password.
    response, signed_in = sign_in(person.email, TEST_PASSWORD, ip="198.51.100.99")
    assert refused(response) and not signed_in
    # Other people are not affected.
    _, signed_in = sign_in(AdminFactory().email, TEST_PASSWORD, ip="198.51.100.99")
    assert signed_in


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_refused(clean_cache):
    for attempt in range(10):
        response, _ = sign_in(f"nobody{attempt}@example.com", WRONG, ip="192.0.2.7")
        assert not refused(response)

    response, signed_in = sign_in(AdminFactory().email, WRONG, ip="192.0.2.7")
    assert refused(response) and not signed_in
    response, _ = sign_in("someone@example.com", WRONG, ip="192.0.2.8")
    assert not refused(response)


@pytest.mark.django_db
@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)  # production: behind one load balancer
def test_behind_the_load_balancer_addresses_are_the_clients_not_the_balancers(clean_cache):
    balancer = "10.0.0.2"
    for attempt in range(10):
        sign_in(f"nobody{attempt}@example.com", WRONG, ip=balancer, forwarded_for="192.0.2.7")

    response, _ = sign_in("x@example.com", WRONG, ip=balancer, forwarded_for="192.0.2.7")
    assert refused(response)
    # Everyone else behind the same balancer can still sign in.
    someone = AdminFactory().email
    _, signed_in = sign_in(someone, TEST_PASSWORD, ip=balancer, forwarded_for="192.0.2.8")
    assert signed_in


def _failed_sign_in_in_another_process(email: str, *, ip: str, cache_url: str) -> bool:
    """One failed sign-in served by a separate Django process; whether it was refused."""
    database = settings.DATABASES["default"]
    script = (
        "import django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()  # the test client's host, as in this process\n"
        f"response = Client(REMOTE_ADDR={ip!r}).post("
        f"'/accounts/login/', {{'login': {email!r}, 'password': {WRONG!r}}})\n"
        "assert response.status_code == 200, response.status_code  # the form, with its error\n"
        f"print('refused' if {REFUSED!r} in response.content.decode() else 'counted')\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CACHE_URL": cache_url,
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
            f"{database['PORT']}/{connection.settings_dict['NAME']}"
        ),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().endswith("refused")


@pytest.mark.django_db(transaction=True)  # the other process reads the committed account
def test_the_count_is_shared_by_processes_through_redis():
    redis_url = settings.CELERY_BROKER_URL  # the suite's Redis; keys expire with the window
    shared = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": redis_url}}
    person = AdminFactory(email=f"shared-{uuid.uuid4().hex[:12]}@acme.example")
    with override_settings(CACHES=shared):
        for attempt in range(3):
            response, _ = sign_in(person.email, WRONG, ip=f"203.0.113.{attempt}")
            assert not refused(response)
        for attempt in range(2):
            other_refused = _failed_sign_in_in_another_process(
                person.email, ip=f"203.0.113.{10 + attempt}", cache_url=redis_url
            )
            assert not other_refused

        # 3 here + 2 there: the sixth try, here, is refused.
        response, signed_in = sign_in(person.email, TEST_PASSWORD, ip="203.0.113.99")
        assert refused(response) and not signed_in
