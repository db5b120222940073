"""Writing many rows in one go: COPY on PostgreSQL, `bulk_create` on other databases.

The SLA sweep writes thousands of timeline events, emails and report rows per batch.
`bulk_create` builds a model instance and prepares every value through its field for each
row, then psycopg quotes the values into the SQL text: most of the sweep's time went there.
COPY takes the plain values (psycopg's C dumpers) and the server parses them in bulk.

Rows are dicts of field attnames (`ticket_id`, not `ticket`); a field a row leaves out gets
its model default, computed once per call. No signals are sent, as with `bulk_create`.
"""

from collections.abc import Sequence

import orjson
from django.db import connection
from django.db.models import JSONField, Model
from psycopg.types.json import Jsonb


def rows_insert(model: type[Model], rows: Sequence[dict]) -> list[int]:
    """Insert `rows` and return their primary keys, in order."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = rows[0].keys()
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in given}
    if connection.vendor != "postgresql":
        saved = model.objects.bulk_create([model(**defaults, **row) for row in rows])
        return [obj.pk for obj in saved]
    json = {f.attname for f in fields if isinstance(f, JSONField)}
    names = [f.attname for f in fields]
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        # The sequence looked up once (OFFSET 0 keeps the planner from inlining the look-up
        # into every row: five times slower).
        cursor.execute(
            "SELECT nextval(q.seq) FROM generate_series(1, %s), "
            "(SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq OFFSET 0) q",
            [len(rows), table, pk],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(c) for c in [pk, *(f.column for f in fields)])
        sql = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for pk_value, row in zip(ids, rows, strict=True):
                values = {**defaults, **row}
                copy.write_row(
                    [pk_value, *(jsonb(values[n]) if n in json else values[n] for n in names)]
                )
    return ids


def jsonb(value: object) -> Jsonb | None:
    """A JSON value for COPY (SQL NULL for None), written by orjson: the sweep writes
    hundreds of thousands, and the standard library's encoder took 4 µs each, orjson 0.2."""
    return None if value is None else Jsonb(value, dumps=_json_dumps)


def _json_dumps(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)  # {1: …} as json.dumps writes it


def objects_insert(objects: Sequence[Model]) -> list[Model]:
    """`bulk_create` for unsaved instances of one model, through `rows_insert`: each gets its
    primary key, as `bulk_create` gives it on PostgreSQL."""
    if not objects:
        return []
    model = type(objects[0])
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = rows_insert(model, [{name: getattr(obj, name) for name in fields} for obj in objects])
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
    return list(objects)
