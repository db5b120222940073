"""GET /api/v1/reports/satisfaction/: the Satisfaction Index as JSON, the same numbers as the
managers' dashboard, under the same rule as the SLA report (managers only)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.models import Touchpoint
from feedback.surveys.forms import SatisfactionForm
from feedback.surveys.presenters import report_data
from feedback.surveys.report import GROUPS, INTERVALS, NO_TOUCHPOINT, satisfaction_report
from helpdesk.models import Audience
from helpdesk.reports.api import IsManager, form_errors
from helpdesk.reports.query import analytic_session


class SatisfactionReportView(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        summary="Satisfaction Index, CSAT, NPS, CES and response quality",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (local), included."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (local), included."),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPS)),
            OpenApiParameter("interval", OpenApiTypes.STR, enum=list(INTERVALS)),
            OpenApiParameter("team", OpenApiTypes.INT, description="Only this team (id)."),
            OpenApiParameter("category", OpenApiTypes.INT, description="Only this category."),
            OpenApiParameter(
                "touchpoint", OpenApiTypes.STR, enum=[NO_TOUCHPOINT, *Touchpoint.values]
            ),
            OpenApiParameter("audience", OpenApiTypes.STR, enum=Audience.values),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        form = SatisfactionForm(request.query_params)
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        with analytic_session():
            report = satisfaction_report(query=form.satisfaction_query(), now=timezone.now())
        return Response(report_data(report))
