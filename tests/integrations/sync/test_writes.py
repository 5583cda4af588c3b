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


def planned_rows(table: str) -> float:
    """What the planner believes the table holds (pg_class.reltuples: -1 or 0 until the table
    is first analyzed; set by ANALYZE inside this very transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_first_sync_of_thousands_refreshes_the_planners_statistics(connected):
    """Right after connecting, the tables the first sync filled must not be planned as empty
    (the people list's group filter took seconds instead of milliseconds)."""
    connected.sandbox.seed(D, users=3000, groups=10, members_per_group=50, admins=1)
    assert planned_rows("usermanagement_user") < 3000

    assert connected.sync().status == SyncRun.Status.SUCCEEDED

    assert planned_rows("usermanagement_user") >= 3000
    with CaptureQueriesContext(connection) as queries:
        assert connected.sync().counts == {}
    # a steady re-sync leaves the statistics to autovacuum
    assert not [q for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


def test_the_runs_lookups_of_people_by_id_are_not_sorted(connected):
    """User's default ordering (email) sorted every lookup of a page's or a member batch's
    people (up to 5,000 rows each) though nothing reads them in order."""
    with CaptureQueriesContext(connection) as queries:
        assert connected.sync().status == SyncRun.Status.SUCCEEDED
    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and 'FROM "usermanagement_user"' in q["sql"]
        and "= ANY(" in q["sql"]
    ]
    assert lookups
    assert not [sql for sql in lookups if "ORDER BY" in sql]
