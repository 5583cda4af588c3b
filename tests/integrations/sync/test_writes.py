"""What a sync writes: a change costs the rows it changes, once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import SyncRun
from usermanagement.models import User

D = "acme.example"


def user_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "usermanagement_user"')]


def test_a_suspension_writes_the_persons_row_once(connected):
    connected.sync()
    person = User.objects.filter(organization=connected.organization, role="member").first()
    connected.ops.user_suspend(email=person.email)  # Google changes the etag too

    with CaptureQueriesContext(connection) as queries:
        run = connected.sync()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counts["deactivate"] == 1
    assert len(user_updates(queries)) == 1, user_updates(queries)
    person.refresh_from_db()
    assert person.status == User.Status.DEACTIVATED
    # the new etag was written with the status: the next run has nothing to refresh
    with CaptureQueriesContext(connection) as queries:
        again = connected.sync()
    assert again.counts == {} and user_updates(queries) == []
