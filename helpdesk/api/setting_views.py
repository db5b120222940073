"""Settings endpoints: read by everyone who works tickets, changed by administrators."""

from rest_framework import mixins, viewsets

from helpdesk.api.base import HelpdeskAPI
from helpdesk.api.permissions import AdministersWrites, WorksTickets
from helpdesk.api.setting_serializers import (
    AgentSerializer,
    CalendarSerializer,
    CategorySerializer,
    SlaPolicySerializer,
    TeamSerializer,
)
from helpdesk.models import Agent, Calendar, Category, SlaPolicy, Team
from helpdesk.services.sla_policies import sla_policy_save


class SettingsViewSet(HelpdeskAPI, viewsets.ModelViewSet):
    permission_classes = [WorksTickets, AdministersWrites]


class CalendarViewSet(SettingsViewSet):
    """Business-hours calendars. Deleting one that a team uses is refused (409)."""

    queryset = Calendar.objects.prefetch_related("holidays").order_by("name")
    serializer_class = CalendarSerializer


class TeamViewSet(SettingsViewSet):
    """Teams. Deleting one that still has tickets or categories is refused (409)."""

    queryset = Team.objects.select_related("lead").order_by("name")
    serializer_class = TeamSerializer


class CategoryViewSet(SettingsViewSet):
    """Kinds of feedback and the team that owns each. Deleting one with tickets is refused."""

    queryset = Category.objects.select_related("team").order_by("slug")
    serializer_class = CategorySerializer


class AgentViewSet(SettingsViewSet):
    """Agents. Not deleted here (their tickets would silently lose their owner): make one
    unavailable or take them out of their teams instead."""

    queryset = Agent.objects.select_related("user").prefetch_related("teams")
    queryset = queryset.order_by("user__username")
    serializer_class = AgentSerializer
    http_method_names = ["get", "post", "patch"]


class SlaPolicyViewSet(
    HelpdeskAPI,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """SLA policies. Each write is a new version, re-applied to the open tickets it governs."""

    permission_classes = [WorksTickets, AdministersWrites]
    http_method_names = ["get", "post", "patch"]
    queryset = SlaPolicy.objects.select_related("category", "contact").order_by("pk")
    serializer_class = SlaPolicySerializer

    def perform_create(self, serializer: SlaPolicySerializer) -> None:
        policy = SlaPolicy(**serializer.validated_data)
        sla_policy_save(policy=policy)
        serializer.instance = policy

    def perform_update(self, serializer: SlaPolicySerializer) -> None:
        policy = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(policy, name, value)
        sla_policy_save(policy=policy)
