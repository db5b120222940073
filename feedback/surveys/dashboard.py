"""The managers' Satisfaction Index page (served inside the admin by feedback.surveys.admin)."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from feedback.surveys.charts import satisfaction_trend_chart
from feedback.surveys.forms import SatisfactionForm
from feedback.surveys.metrics import index_components
from feedback.surveys.presenters import format_cell, group_label
from feedback.surveys.report import COLUMNS, Row, SatisfactionReport, satisfaction_report
from helpdesk.reports.query import analytic_session

TEMPLATE = "feedback/surveys/dashboard.html"
PAGE = "admin:feedback_satisfactionreport_changelist"


def _drill_down_url(report: SatisfactionReport, row: Row) -> str:
    if row.drill_down is None:
        return ""
    query = report.query
    params = {
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "interval": query.interval,
        **row.drill_down,
    }
    return reverse(PAGE) + "?" + urlencode(params)


def _sections(report: SatisfactionReport) -> list[dict]:
    def cells(row: Row, columns) -> list[dict]:
        return [{"key": c.key, "text": format_cell(row.values[c.key], c.unit)} for c in columns]

    by_section: dict[str, list] = {}
    for column in COLUMNS:
        by_section.setdefault(column.section, []).append(column)
    return [
        {
            "name": name,
            "columns": columns,
            "rows": [
                {
                    "label": row.label,
                    "url": _drill_down_url(report, row),
                    "cells": cells(row, columns),
                }
                for row in report.rows
            ],
            "total": {"label": report.total.label, "cells": cells(report.total, columns)},
        }
        for name, columns in by_section.items()
    ]


def _trend_chart(report: SatisfactionReport):
    series: dict[str, list] = {"index": [], "csat": [], "nps": [], "ces": []}
    for row in report.trend:
        values = row.values
        series["index"].append(values["satisfaction_index"])
        components = index_components(
            csat_percent=values["csat_percent"], nps=values["nps"], ces_mean=values["ces_mean"]
        )
        for name, value in components.items():
            series[name].append(value)
    return satisfaction_trend_chart([row.label for row in report.trend], series)


def _summary(report: SatisfactionReport) -> list[tuple[str, str, str]]:
    keys = ("satisfaction_index", "csat_percent", "nps", "ces_mean", "response_rate")
    columns = {c.key: c for c in COLUMNS}
    return [
        (key, columns[key].label, format_cell(report.total.values[key], columns[key].unit))
        for key in keys
    ]


def satisfaction_page(request: HttpRequest, *, context: dict) -> HttpResponse:
    form = SatisfactionForm(request.GET)
    if not form.is_valid():
        return TemplateResponse(request, TEMPLATE, {**context, "form": form}, status=400)
    with analytic_session():
        report = satisfaction_report(query=form.satisfaction_query(), now=timezone.now())
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            **context,
            "form": form,
            "report": report,
            "query_string": request.GET.urlencode(),
            "group_label": group_label(report),
            "summary": _summary(report),
            "sections": _sections(report),
            "trend_chart": _trend_chart(report),
            "weights": report.weights,
        },
    )
