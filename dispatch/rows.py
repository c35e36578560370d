"""A change's rows stored in one statement: a new row with the rows that record it (transition, audit).

A call's intake writes the call, its first transition and its audit row: three
INSERTs, three round trips and three ORM compilations on the hottest path of a
surge. On PostgreSQL `insert_with_trail` sends them as one statement, the trail
rows reading the new id from the first INSERT's RETURNING. The columns and
values come from the models' own fields (`pre_save`, `get_db_prep_save`), as
the ORM's INSERT takes them; elsewhere each row is saved in turn.

`instance_from_row` goes the other way, for a hot plain statement that returns a model's
row (the token check, the intake's caller upsert): the instance the ORM would load, without a
query compiled.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection, models


class _NewId:
    """Stands for the first row's id in a trail row's field, as a number or as text."""

    def __init__(self, cast: str) -> None:
        self.cast = cast

    def __repr__(self) -> str:
        return f"NEW_ID{'_TEXT' if self.cast else ''}"


NEW_ID = _NewId("")
NEW_ID_TEXT = _NewId("::text")


@lru_cache(maxsize=32)
def _insert_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """Every column an INSERT names: all but an auto-numbered primary key."""
    return tuple(f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField)))


def _column_values(obj: models.Model) -> tuple[list[str], list[object]]:
    """(placeholders, params) for obj's row; a field holding NEW_ID reads the first row's id instead."""
    placeholders, params = [], []
    for field in _insert_fields(type(obj)):
        value = getattr(obj, field.attname)
        if isinstance(value, _NewId):
            # A fixed cast, no value.
            placeholders.append(f"(SELECT id{value.cast} FROM new_row)")  # nosec B608
        else:
            placeholders.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return placeholders, params


@lru_cache(maxsize=32)
def _columns(model: type[models.Model]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(f.column) for f in _insert_fields(model))


def _insert_cte(name: str, obj: models.Model, returning: str = "") -> tuple[str, list[object]]:
    """`name AS (INSERT INTO <obj's table> ... VALUES ... [RETURNING ...])` and its parameters."""
    placeholders, params = _column_values(obj)
    # Only table and column names from the models go into the text; every value is a parameter.
    sql = (
        f"{name} AS (INSERT INTO {connection.ops.quote_name(obj._meta.db_table)} ({_columns(type(obj))})"  # nosec B608
        f" VALUES ({', '.join(placeholders)}){returning})"
    )
    return sql, params


def _execute_ctes(ctes: list[tuple[str, list[object]]], final: str):
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(sql for sql, _ in ctes)} {final}", [p for _, params in ctes for p in params])
        return cursor.fetchone()


def insert_with_trail(row: models.Model, *trail: models.Model) -> None:
    """Store `row`, then each of `trail` (fields set to NEW_ID / NEW_ID_TEXT take row's new id).

    `row` gets its primary key and the trail rows their links; the trail rows' own ids
    are not read back. Run inside the transaction that makes the change.
    """
    if connection.vendor != "postgresql":
        row.save(force_insert=True)
        for trail_row in trail:
            _fill_new_id(trail_row, row.pk)
            trail_row.save(force_insert=True)
        return
    returning = f" RETURNING {connection.ops.quote_name(row._meta.pk.column)} AS id"
    ctes = [_insert_cte("new_row", row, returning)] + [_insert_cte(f"trail_{i}", t) for i, t in enumerate(trail)]
    (new_id,) = _execute_ctes(ctes, "SELECT id FROM new_row")
    row.pk = new_id
    row._state.adding, row._state.db = False, connection.alias
    for trail_row in trail:
        _fill_new_id(trail_row, new_id)


def insert_trail(*trail: models.Model) -> None:
    """Store rows that record one change (its transition, its audit row) in one statement.

    Their own ids are not read back. Run inside the transaction that makes the change.
    """
    if connection.vendor != "postgresql" or len(trail) < 2:
        for trail_row in trail:
            trail_row.save(force_insert=True)
        return
    _execute_ctes([_insert_cte(f"trail_{i}", t) for i, t in enumerate(trail)], "SELECT 1")


def _fill_new_id(obj: models.Model, new_id: int) -> None:
    for field in _insert_fields(type(obj)):
        value = getattr(obj, field.attname)
        if isinstance(value, _NewId):
            setattr(obj, field.attname, str(new_id) if value.cast else new_id)


@lru_cache(maxsize=64)
def _row_converters(vendor: str, model: type[models.Model], attnames: tuple[str, ...]) -> tuple:
    """(index, expression, converters) for each of the fields `attnames` that this database's values need converted."""
    out = []
    for i, attname in enumerate(attnames):
        field = model._meta.get_field(attname)  # found by attname too (`caller_id`)
        expression = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if found:
            out.append((i, expression, tuple(found)))
    return tuple(out)


def instance_from_row(model: type[models.Model], attnames: tuple[str, ...], values) -> models.Model:
    """A model instance from a row's `values` for the fields `attnames`, as the ORM would load it
    (the fields' converters for this database, `from_db`), without compiling a query to read it."""
    values = list(values)
    for i, expression, converters in _row_converters(connection.vendor, model, attnames):
        for converter in converters:
            values[i] = converter(values[i], expression, connection)
    return model.from_db(connection.alias, list(attnames), values)
