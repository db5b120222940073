"""The queue's result table, drawn as Django admin's `result_list` tag draws it, in one pass.

The admin's tag works out, for every cell of every row, which field or method a column is, its
CSS classes and empty value, and for every row the ticket's link: it reverses the URL and
resolves it again to add the queue's filters. Here what does not depend on the row is worked
out once per column and the filters' part of the link once per page, so a 25-row page costs a
fraction of it. The HTML is the same; popups and list_editable pages, which the workspace does
not use, keep Django's own tag.
"""

import datetime
import html
from collections.abc import Callable

from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_list,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    lookup_field,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe

DATE_TYPES = (datetime.date, datetime.time)


class Column:
    """One list_display entry, resolved once for the page."""

    def __init__(self, cl: ChangeList, index: int, name, *, link: str | None) -> None:
        self.name = name
        self.link = link  # "th" or "td" when the cell links to the ticket, else None
        model_admin = cl.model_admin
        self.empty = model_admin.get_empty_value_display()
        self.field = _model_field(cl.model._meta, name)
        self.attr: Callable | None = None
        self.boolean = False
        self.choices: dict | None = None
        self.prefix = f"field-{_coerce_field_name(name, index)}"
        if self.field is None:
            self.classes = "action-checkbox" if name == "action_checkbox" else self.prefix
            if callable(name):
                self.attr = name
            elif hasattr(model_admin, name) and name != "__str__":
                self.attr = getattr(model_admin, name)
            if self.attr is not None:
                self.empty = getattr(self.attr, "empty_value_display", self.empty)
                self.boolean = getattr(self.attr, "boolean", False)
        else:
            classes = [self.prefix]
            if isinstance(self.field, (models.DateField, models.TimeField, models.ForeignKey)):
                classes.append("nowrap")
            self.classes = " ".join(classes)
            self.is_relation = isinstance(self.field.remote_field, models.ManyToOneRel)
            if not self.is_relation and getattr(self.field, "flatchoices", None):
                try:
                    self.choices = dict(self.field.flatchoices)
                except TypeError:  # list-like choices: leave them to Django
                    self.choices = None

    def cell(self, cl: ChangeList, result: models.Model, url: str | None) -> str:
        try:
            if self.field is not None:
                shown, classes = self._field_value(result), self.classes
            else:
                shown, classes = self._other_value(cl, result)
        except ObjectDoesNotExist:
            shown, classes = self.empty, self.prefix
        if self.link and url is not None:
            shown = f'<a href="{_escape(url)}">{_escape(shown)}</a>'
            return f'<{self.link} class="{classes}">{shown}</{self.link}>'
        return f'<td class="{classes}">{_escape(shown)}</td>'

    def _field_value(self, result: models.Model):
        if self.is_relation:
            related = getattr(result, self.field.name)
            return self.empty if related is None else related
        value = getattr(result, self.field.attname)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if self.choices is not None:
            return self.choices.get(value, self.empty)
        return display_for_field(value, self.field, self.empty, avoid_link=self.link is not None)

    def _other_value(self, cl: ChangeList, result: models.Model) -> tuple[object, str]:
        if self.attr is not None:
            value, empty, boolean = self.attr(result), self.empty, self.boolean
        else:  # a model method, property or id: Django's own lookup, as the tag does
            _field, attr, value = lookup_field(self.name, result, cl.model_admin)
            empty = getattr(attr, "empty_value_display", self.empty)
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        classes = self.classes
        if isinstance(value, DATE_TYPES):
            classes += " nowrap"
        return display_for_value(value, empty, boolean), classes


def _escape(value) -> str:
    """Django's conditional_escape, without its check for lazy arguments on every call."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _model_field(opts, name) -> models.Field | None:
    """The model field a list_display name shows, as the admin's lookup_field finds it."""
    if callable(name):
        return None
    try:
        field = opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.is_relation and ((field.many_to_one and not field.related_model) or field.one_to_many):
        return None  # generic foreign keys and reverse relations are not attributes
    if field.is_relation and not field.many_to_many and field.attname == name:
        return None  # "team_id" shows the raw id, not the team
    if field.auto_created:
        return None  # the tag shows an automatic id as a plain value
    return field


def _columns(cl: ChangeList) -> list[Column]:
    columns, linked = [], False
    for index, name in enumerate(cl.list_display):
        link = None
        if cl.list_display_links is not None and (
            name in cl.list_display_links or (not linked and not cl.list_display_links)
        ):
            link = "td" if linked else "th"
            linked = True
        columns.append(Column(cl, index, name, link=link))
    return columns


def _links(cl: ChangeList, results: list[models.Model]) -> list[str]:
    """Each row's change link, as the tag makes it, reversed and given the queue's filters once
    for the page: the rows' links differ only in the object's id."""
    context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}

    def asked(result: models.Model) -> str:
        return add_preserved_filters(context, cl.url_for_result(result))

    if not results:
        return []
    url = cl.url_for_result(results[0])
    linked = add_preserved_filters(context, url)
    prefix, found, suffix = url.rpartition(str(quote(results[0].pk)))
    filters = linked[len(url) :]

    def made(result: models.Model) -> str:
        return prefix + str(quote(result.pk)) + suffix + filters

    if (
        not found
        or "?" in url
        or not linked.startswith(url)
        or any(made(r) != asked(r) for r in results[1:2])
    ):
        return [asked(result) for result in results]  # not ".../<id>/...": ask for each one
    return [made(result) for result in results]


def result_table(cl: ChangeList) -> dict:
    """The context of admin/change_list_results.html, as the `result_list` tag builds it."""
    if cl.formset or cl.is_popup or cl.to_field:
        return result_list(cl)
    headers = list(result_headers(cl))
    results = list(cl.result_list)
    columns = _columns(cl)
    try:
        links = _links(cl, results) if any(c.link for c in columns) else [None] * len(results)
    except NoReverseMatch:
        return result_list(cl)
    rows = [
        ResultList(None, [_row(cl, columns, result, url)])
        for result, url in zip(results, links, strict=True)
    ]
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows,
    }


def _row(cl: ChangeList, columns: list[Column], result: models.Model, url: str | None) -> str:
    # The template joins a row's items with nothing between them: one item holds them all.
    return mark_safe("".join(column.cell(cl, result, url) for column in columns))
