"""The email log in the support console is searchable and strictly read-only."""

import pytest
from django.urls import reverse

from notifications.models import EmailLog
from notifications.services import email_logs_create
from tests.usermanagement.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def logs():
    return email_logs_create(
        template="test_email",
        to=["ada@acme.example", "bob@acme.example", "broken"],
        context={"requested_by": "<script>alert(1)</script>"},
        organization=None,
    )


def test_list_search_and_filters(staff_client, logs):
    url = reverse("admin:notifications_emaillog_changelist")

    response = staff_client.get(url, {"q": "ada@"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [logs[0]]

    response = staff_client.get(url, {"status__exact": EmailLog.Status.FAILED})
    assert list(response.context["cl"].result_list) == [logs[2]]

    response = staff_client.get(url, {"template__exact": "test_email"})
    assert response.context["cl"].result_count == 3


def test_the_detail_page_shows_the_email_without_letting_it_run(staff_client, logs):
    response = staff_client.get(reverse("admin:notifications_emaillog_change", args=[logs[0].pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert "<iframe sandbox srcdoc=" in content
    # The HTML body sits in an attribute, fully escaped: the admin page itself runs nothing.
    assert "<script>alert(1)</script>" not in content


def test_nothing_can_be_added_changed_or_deleted(staff_client, logs):
    log = logs[0]
    add = staff_client.get(reverse("admin:notifications_emaillog_add"))
    change = staff_client.post(
        reverse("admin:notifications_emaillog_change", args=[log.pk]), {"status": "sent"}
    )
    delete = staff_client.post(
        reverse("admin:notifications_emaillog_delete", args=[log.pk]), {"post": "yes"}
    )
    bulk_delete = staff_client.post(
        reverse("admin:notifications_emaillog_changelist"),
        {"action": "delete_selected", "_selected_action": [log.pk], "post": "yes"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk_delete.status_code in (200, 302)
    assert EmailLog.objects.count() == 3
    log.refresh_from_db()
    assert log.status == EmailLog.Status.QUEUED
