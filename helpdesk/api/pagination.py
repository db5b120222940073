"""Keyset ("cursor") pagination over an allow-listed ordering.

A page is the rows strictly after (or before) the last row seen, in (key, id) order, so pages
stay correct while tickets are added or change and cost the same at any depth. Keys may be
null (an SLA date on a resolved ticket): ascending order puts nulls last, descending first, so
one order is exactly the other reversed. The cursor names its ordering and position; it grants
nothing, since every page is cut from the queryset the caller may see.
"""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


@dataclass(frozen=True)
class SortKey:
    field: str  # a column or an annotation the view's queryset provides
    nullable: bool = False
    kind: type = datetime  # the type of its values: datetime or int
    annotate: Callable[[QuerySet], QuerySet] | None = None


@dataclass(frozen=True)
class Position:
    value: Any
    pk: int


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _load(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError("not a datetime")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime")
        return parsed.astimezone(UTC)  # OverflowError at the ends of the range
    return _load_int(value)


def _load_int(value: Any) -> int:
    # Within a database bigint, so no lookup overflows.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError("not an id")
    return value


class KeysetPagination(BasePagination):
    """The view names its keys in `ordering_keys` and its default in `default_ordering`."""

    page_size = 50
    max_page_size = 200
    cursor_param = "cursor"
    ordering_param = "ordering"
    page_size_param = "page_size"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        self.request = request
        self.keys: dict[str, SortKey] = view.ordering_keys
        self.page_size = self._page_size(request)
        cursor = self._cursor(request)
        self.ordering = self._ordering(request, cursor, default=view.default_ordering)
        descending = self.ordering.startswith("-")
        key = self.keys[self.ordering.removeprefix("-")]
        backwards = bool(cursor and cursor["backwards"])
        if key.annotate:
            queryset = key.annotate(queryset)
        if cursor:
            position = Position(cursor["value"], cursor["pk"])
            # Going forwards on a descending order, or backwards on an ascending one, the rows
            # wanted lie before the position in ascending order.
            queryset = queryset.filter(_beyond(key, position, ascending=descending == backwards))
        ordered = queryset.order_by(*_order(key, descending=descending != backwards))
        rows = list(ordered[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, cursor is not None
        self.first = rows[0] if rows else None
        self.last = rows[-1] if rows else None
        return rows

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self._link(False), "previous": self._link(True), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        orderings = [f"{sign}{name}" for name in view.ordering_keys for sign in ("", "-")]
        return [
            {
                "name": self.ordering_param,
                "in": "query",
                "required": False,
                "description": f"Sort key; '-' for descending. Default: {view.default_ordering}.",
                "schema": {"type": "string", "enum": orderings},
            },
            {
                "name": self.cursor_param,
                "in": "query",
                "required": False,
                "description": "Opaque position from a previous page's next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def _ordering(self, request: Request, cursor: dict | None, *, default: str) -> str:
        requested = request.query_params.getlist(self.ordering_param)
        if len(requested) > 1:
            raise ValidationError({self.ordering_param: ["Give one sort key."]})
        ordering = requested[0] if requested else None
        if ordering is not None and ordering.removeprefix("-") not in self.keys:
            allowed = ", ".join(self.keys)
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Unknown sort key {ordering!r}; use one of {allowed}, "
                        "optionally prefixed with '-' for descending."
                    ]
                }
            )
        if cursor:
            if ordering is not None and ordering != cursor["ordering"]:
                raise ValidationError(
                    {self.cursor_param: ["This cursor belongs to another ordering."]}
                )
            return cursor["ordering"]
        return ordering or default

    def _cursor(self, request: Request) -> dict | None:
        raw = request.query_params.get(self.cursor_param)
        if raw is None:
            return None
        try:
            if len(raw) > 400:  # ours are far shorter; this also bounds the JSON's nesting
                raise ValueError("too long")
            padded = raw + "=" * (-len(raw) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            ordering = data["o"]
            key = self.keys[ordering.removeprefix("-")]
            pk = _load_int(data["p"])
            value = _load(data["v"], key.kind)
            if value is None and not key.nullable:
                raise ValueError("null position on a key that has no nulls")
            return {"ordering": ordering, "value": value, "pk": pk, "backwards": data["b"] is True}
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            binascii.Error,
            UnicodeError,
            OverflowError,
        ):
            raise ValidationError({self.cursor_param: ["Invalid cursor."]}) from None

    def _encode(self, row, *, backwards: bool) -> str:
        key = self.keys[self.ordering.removeprefix("-")]
        data = {
            "o": self.ordering,
            "v": _dump(getattr(row, key.field)),
            "p": row.pk,
            "b": backwards,
        }
        # Without base64's "=" padding, so the cursor needs no escaping in a URL.
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode("ascii").rstrip("=")

    def _link(self, backwards: bool) -> str | None:
        wanted = self.has_previous if backwards else self.has_next
        row = self.first if backwards else self.last
        url = self.request.build_absolute_uri()
        if not wanted:
            return None
        if row is None:  # an empty page reached going one way: the way back starts over
            return remove_query_param(url, self.cursor_param)
        cursor = self._encode(row, backwards=backwards)
        return replace_query_param(url, self.cursor_param, cursor)


def _order(key: SortKey, *, descending: bool) -> list:
    if descending:
        return [F(key.field).desc(nulls_first=True), F("pk").desc()]
    return [F(key.field).asc(nulls_last=True), F("pk").asc()]


def _beyond(key: SortKey, position: Position, *, ascending: bool) -> Q:
    """Rows strictly after `position` in ascending (key, id) order, or strictly before it."""
    field, value, pk = key.field, position.value, position.pk
    null = Q(**{f"{field}__isnull": True})
    if ascending:
        if value is None:
            return null & Q(pk__gt=pk)
        after = Q(**{f"{field}__gt": value}) | Q(**{field: value}, pk__gt=pk)
        return after | null if key.nullable else after
    if value is None:
        return ~null | (null & Q(pk__lt=pk))
    return Q(**{f"{field}__lt": value}) | Q(**{field: value}, pk__lt=pk)
