"""GET /api/v1/reports/sla/: the managers' report as JSON, the same numbers as the page."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.access import user_is_manager
from helpdesk.models import Audience
from helpdesk.reports.columns import GROUPS
from helpdesk.reports.forms import ReportForm
from helpdesk.reports.views import report_bundle


class IsManager(BasePermission):
    message = "Only managers may read the reports."

    def has_permission(self, request, view) -> bool:
        return user_is_manager(request.user)


def form_errors(form: ReportForm) -> dict[str, list[str]]:
    return {
        "non_field_errors" if name == "__all__" else name: list(messages)
        for name, messages in form.errors.items()
    }


class SlaReportView(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        summary="SLA compliance report",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (local), included."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (local), included."),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPS)),
            OpenApiParameter("audience", OpenApiTypes.STR, enum=Audience.values),
            OpenApiParameter("within", OpenApiTypes.INT, description="Gaming audit: minutes."),
            OpenApiParameter("repeats", OpenApiTypes.INT, description="Gaming audit: pause no."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        form = ReportForm(request.query_params)
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        return Response(report_bundle(form).as_data())
