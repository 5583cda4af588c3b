"""Bulk inserts and updates of plain rows, for the set-based services that write thousands at
once.

A first sync of 100,000 people writes 100,000 people, as many seats, audit events and change
records, and 300,000 memberships. Building a model instance per row and letting psycopg quote
every value client-side (a multi-row INSERT) cost more than fetching the directory itself, so
these helpers take rows as tuples or dicts and, on PostgreSQL, stream them with COPY. On other
databases (`make run` uses SQLite) they fall back to bulk_create, which keeps the model's rules.

Neither sends model signals nor calls save(): the callers are services that own the rows.

`any_of` is the read side: a filter on thousands of values (the people a page or a batch of
member lists names) as one array parameter.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models import F
from django.db.models.lookups import In, Lookup
from django.utils import timezone


class AnyOf(Lookup):
    """`column = ANY(%s)` with the values as one array on PostgreSQL; IN elsewhere.

    Django writes `column IN (%s, %s, …)`, one placeholder a value, and psycopg parses the
    statement for its placeholders on every execution (statements that long are not cached):
    5,000 Google ids cost 50 ms of the syncing process's CPU that way, 19 ms as an array —
    a quarter of a first sync's own CPU went to it.

    Like IN, None among the values matches nothing and no values match no row. For filter():
    under exclude() a row whose column is NULL drops out (IN's exclude keeps it).
    """

    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(value, connection) for value in self.rhs if value is not None
        ]
        if not values:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s)", (*lhs_params, values)


def any_of(column: str | models.Expression, values: Iterable) -> AnyOf:
    """A filter: `column` (a name or an expression) is one of `values`, e.g.
    `User.objects.filter(any_of("google_id", ids))`."""
    return AnyOf(F(column) if isinstance(column, str) else column, list(values))


def rows_insert(model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows given as tuples of `columns` (attnames), in order, without returning pks.

    Every column the rows leave out must have a database default or be nullable — use
    `records_insert` to have the model's defaults filled in.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=1000
        )
        return
    meta = model._meta
    fields = [meta.get_field(column) for column in columns]
    # one encoder instance per column: json.dumps(cls=...) would build one per value
    encoders = {
        position: (field.encoder or json.JSONEncoder)()
        for position, field in enumerate(fields)
        if isinstance(field, models.JSONField)
    }
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN"
    # The raw psycopg cursor's COPY is outside Django's error translation: wrap it, so that a
    # refused row raises django.db.IntegrityError/DataError like any other write.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            if encoders:
                row = list(row)
                for position, encoder in encoders.items():
                    row[position] = encoder.encode(row[position])
            copy.write_row(row)


# Rows per UPDATE: 1,000 rows of 17 values stay well inside PostgreSQL's 65,535 parameters.
UPDATE_BATCH_SIZE = 1000


def rows_update(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> int:
    """Update rows given as tuples (pk, *values of `columns`), each row its own values; returns
    how many rows were updated.

    On PostgreSQL one `UPDATE … FROM (VALUES …)` per thousand rows. bulk_update writes the same
    with a CASE WHEN per row and column, which Django compiles expression by expression: 125 ms
    of Python to update 20 people (16 columns), more than reading them from Google took."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    fields = [meta.get_field(column) for column in columns]
    if connection.vendor != "postgresql":
        instances = [
            model(pk=row[0], **dict(zip((f.attname for f in fields), row[1:], strict=True)))
            for row in rows
        ]
        return model.objects.bulk_update(
            instances, [f.name for f in fields], batch_size=UPDATE_BATCH_SIZE
        )
    quote = connection.ops.quote_name
    keyed = [meta.pk, *fields]
    # every value cast to its column's type: VALUES alone would guess (text, numeric)
    placeholders = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in keyed) + ")"
    names = ", ".join(f"c{position}" for position in range(len(keyed)))
    assignments = ", ".join(
        f"{quote(field.column)} = v.c{position}" for position, field in enumerate(keyed) if position
    )
    table = quote(meta.db_table)
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPDATE_BATCH_SIZE):
            batch = rows[start : start + UPDATE_BATCH_SIZE]
            params = [
                field.get_db_prep_save(value, connection=connection)
                for row in batch
                for field, value in zip(keyed, row, strict=True)
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} "
                f"FROM (VALUES {', '.join([placeholders] * len(batch))}) AS v({names}) "
                f"WHERE {table}.{quote(meta.pk.column)} = v.c0",
                params,
            )
            updated += cursor.rowcount
    return updated


def records_insert(
    model: type[models.Model],
    records: Sequence[Mapping[str, Any]],
    *,
    common: Mapping[str, Any] | None = None,
) -> None:
    """Insert records (dicts of attnames, all with the same keys) like bulk_create would:
    `common` values go into every row (no copy of each record to add them); every concrete
    field left out gets what a new instance would have — the field's default (a callable
    default is called for each row), or now for auto_now(_add) fields — and no pks are
    returned."""
    if not records:
        return
    given = list(records[0])
    common = dict(common or {})
    missing = [
        field
        for field in model._meta.concrete_fields
        if field.attname not in given
        and field.attname not in common
        and not field.primary_key
        and not field.generated
        and field.db_default is models.NOT_PROVIDED  # the database fills those itself
    ]
    per_row = [field for field in missing if _varies_per_row(field)]
    constant = {**common, **{f.attname: f.get_default() for f in missing if f not in per_row}}
    columns = [*given, *constant, *(field.attname for field in per_row)]
    constant_values = tuple(constant.values())
    rows = [
        (
            *(record[name] for name in given),
            *constant_values,
            *(_new_value(field) for field in per_row),
        )
        for record in records
    ]
    rows_insert(model, columns, rows)


def _varies_per_row(field: models.Field) -> bool:
    return _is_auto_now(field) or (field.has_default() and callable(field.default))


def _is_auto_now(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _new_value(field: models.Field):
    return timezone.now() if _is_auto_now(field) else field.get_default()


def tables_analyze(models_: Sequence[type[models.Model]]) -> None:
    """Fresh planner statistics for tables that just grew by thousands of rows (PostgreSQL).

    Until autovacuum gets to them (a minute or more), the planner still sees the tables as
    they were — empty, on a first sync — and picks plans that take seconds instead of
    milliseconds for the pages people open right after connecting."""
    connection = connections[router.db_for_write(models_[0])]
    if connection.vendor != "postgresql":
        return
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models_)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {names}")
