"""`make run` uses SQLite: the console's pages, actions and pruning must work there too."""

from tests.local.sqlite_run import local_sqlite_run


def test_the_console_works_on_the_local_sqlite_database(tmp_path):
    lines = local_sqlite_run("tests/support/sqlite_console.py", tmp_path)
    pages = [line.split() for line in lines if line.startswith("/")]
    assert len(pages) == 8
    assert all(status == "200" for _path, status in pages), pages
    assert "deactivated 302 deactivated" in lines
    assert "pruned Pruned(runs=2, changes=2, emails=0)" in lines
