"""The report page and its CSV export (served inside the admin by `reports.admin`)."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from helpdesk.reports.audit import GamingAudit, gaming_audit
from helpdesk.reports.charts import (
    breach_heatmap_chart,
    compliance_bar_chart,
    compliance_line_chart,
)
from helpdesk.reports.columns import CLOCKS, COLUMNS, GROUPS
from helpdesk.reports.forms import ReportForm
from helpdesk.reports.presenters import format_cell, report_csv, report_data
from helpdesk.reports.query import analytic_session
from helpdesk.reports.selectors import (
    ReportRow,
    SlaReport,
    breach_heatmap,
    compliance_by,
    sla_report,
)


@dataclass
class ReportBundle:
    report: SlaReport
    audit: GamingAudit
    heatmap: list[list[int]]

    def as_data(self) -> dict:
        return report_data(self.report, audit=self.audit, heatmap=self.heatmap)


def report_bundle(form: ReportForm) -> ReportBundle:
    """Everything the page, the CSV and the API show, from a valid form."""
    query = form.report_query()
    with analytic_session():
        return ReportBundle(
            report=sla_report(query=query, now=timezone.now()),
            audit=gaming_audit(
                query,
                within_minutes=form.cleaned_data["within"],
                repeats=form.cleaned_data["repeats"],
            ),
            heatmap=breach_heatmap(query),
        )


def _sections(report: SlaReport) -> list[dict]:
    """The table split into readable sections; every cell keeps its column key."""

    def cells(row: ReportRow, columns) -> list[dict]:
        return [{"key": c.key, "text": format_cell(row.values[c.key], c.unit)} for c in columns]

    sections: dict[str, list] = {}
    for column in COLUMNS:
        sections.setdefault(column.section, []).append(column)
    return [
        {
            "name": name,
            "columns": columns,
            "rows": [{"label": row.label, "cells": cells(row, columns)} for row in report.rows],
            "total": {"label": report.total.label, "cells": cells(report.total, columns)},
        }
        for name, columns in sections.items()
    ]


def sla_report_page(request: HttpRequest, *, context: dict) -> HttpResponse:
    form = ReportForm(request.GET)
    if not form.is_valid():
        return TemplateResponse(
            request, "admin/reports/sla.html", {**context, "form": form}, status=400
        )
    with analytic_session():
        bundle = report_bundle(form)
        query = bundle.report.query
        weekly = compliance_by(query, "week")
        teams = compliance_by(query, "team")
    return TemplateResponse(
        request,
        "admin/reports/sla.html",
        {
            **context,
            "form": form,
            "query_string": request.GET.urlencode(),
            "group_label": GROUPS[query.group_by],
            "time_zone": timezone.get_current_timezone_name(),
            "bundle": bundle,
            "sections": _sections(bundle.report),
            "line_chart": compliance_line_chart(weekly.labels, weekly.compliance, CLOCKS),
            "bar_chart": compliance_bar_chart(teams.labels, teams.compliance, CLOCKS),
            "heatmap_chart": breach_heatmap_chart(bundle.heatmap),
        },
    )


def sla_report_csv(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    query = form.report_query()
    response = HttpResponse(
        report_csv(sla_report(query=query, now=timezone.now())),
        content_type="text/csv; charset=utf-8",
    )
    name = f"sla-report-{query.start}-{query.end}-by-{query.group_by}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
