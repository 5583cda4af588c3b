"""What PostgreSQL counted for a table in the current transaction (pg_stat_xact_user_tables):
a test shows a statement reads a table by index, not whole, without timing it."""

from django.db import connection


def sequential_reads(table: str) -> tuple[int, int]:
    """(sequential scans, rows they read) of `table` so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(seq_scan), 0), coalesce(sum(seq_tup_read), 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        scans, rows = cursor.fetchone()
    return int(scans), int(rows)
