"""`make run` uses SQLite: the raw SQL of seats and the people list must work there too."""

from tests.local.sqlite_run import local_sqlite_run


def test_admin_pages_and_seats_work_on_the_local_sqlite_database(tmp_path):
    lines = local_sqlite_run("tests/local/sqlite_smoke.py", tmp_path)
    assert "first reconcile [('seat_assign', 4)]" in lines
    assert "second reconcile []" in lines
    assert "any_of ['person0@local.example', 'person2@local.example'] 0" in lines  # as IN
    assert "updated Zoë ['z@local.example']" in lines
    assert "one-person reconcile [('seat_release', 1)]" in lines
    pages = [line.split() for line in lines if line.startswith("/")]
    assert len(pages) == 10
    assert all(status == "200" for _path, status in pages), pages
