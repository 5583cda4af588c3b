import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.usermanagement.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_a_person_resets_a_forgotten_password_by_email(client):
    admin = AdminFactory()

    client.post(reverse("account_reset_password"), {"email": admin.email})

    (message,) = mail.outbox
    assert message.to == [admin.email]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )
    admin.refresh_from_db()
    assert admin.check_password("a brand new passphrase")
