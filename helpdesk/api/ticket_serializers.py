"""What the ticket endpoints read and write. Output and input serializers are separate: a
ticket is shown with its SLA columns, but changed only field by field through the services."""

from rest_framework import serializers

from helpdesk.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictPrimaryKeyRelatedField,
    StrictSerializer,
    StrictSlugRelatedField,
)
from helpdesk.models import Agent, Category, Message, Priority, Status, Team, Ticket, TicketEvent
from statusfeed.models import PublicIssue


class TicketSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="HD- and six or more digits.")
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Agent id."
    )
    assignee_username = serializers.CharField(
        source="assignee.user.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "subject",
            "status",
            "priority",
            "team",
            "category",
            "assignee",
            "assignee_username",
            "audience",
            "channel",
            "created_at",
            "updated_at",
            "version",
            "first_response_due",
            "first_responded_at",
            "next_update_due",
            "resolution_due",
            "resolution_paused",
            "resolved_at",
            "sla_breached",
        ]
        read_only_fields = fields


class RequesterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()


class TicketDetailSerializer(TicketSerializer):
    requester = RequesterSerializer(read_only=True, allow_null=True)
    public_issue = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "description", "requester", "public_issue"]
        read_only_fields = fields

    def get_public_issue(self, ticket: Ticket) -> int | None:
        link = getattr(ticket, "public_issue_link", None)
        return link.issue_id if link else None


def _agent_queryset():
    return Agent.objects.select_related("user")


def _check_in_team(agent: Agent | None, team: Team) -> None:
    if agent is not None and not agent.teams.filter(pk=team.pk).exists():
        raise serializers.ValidationError({"assignee": [f"{agent} is not in the {team} team."]})


class TicketChangeSerializer(StrictSerializer):
    """PATCH body: any of these, each applied by its service (timeline, SLA, public events)."""

    status = StrictChoiceField(choices=Status.choices, required=False)
    priority = StrictChoiceField(choices=Priority.choices, required=False)
    team = StrictSlugRelatedField(slug_field="slug", queryset=Team.objects.all(), required=False)
    category = StrictSlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False
    )
    assignee = StrictPrimaryKeyRelatedField(
        queryset=_agent_queryset(),
        allow_null=True,
        required=False,
        help_text="Agent id, or null to unassign; the agent must be in the ticket's team.",
    )

    def validate(self, attrs: dict) -> dict:
        ticket: Ticket = self.context["ticket"]
        _check_in_team(attrs.get("assignee"), attrs.get("team", ticket.team))
        return attrs


class AssignSerializer(StrictSerializer):
    assignee = StrictPrimaryKeyRelatedField(
        queryset=_agent_queryset(),
        allow_null=True,
        help_text="Agent id, or null to unassign; the agent must be in the ticket's team.",
    )

    def validate(self, attrs: dict) -> dict:
        _check_in_team(attrs["assignee"], self.context["ticket"].team)
        return attrs


class ReplySerializer(StrictSerializer):
    body = StrictCharField(max_length=20_000, trim_whitespace=True)
    public = StrictBooleanField(help_text="true: a public reply; false: an internal note.")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class MessageSerializer(serializers.ModelSerializer):
    public = serializers.BooleanField(source="is_public", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "kind", "public", "author", "body", "created_at", "attachments"]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "at", "actor", "data"]
        read_only_fields = fields


class PublicIssueLinkSerializer(StrictSerializer):
    issue = StrictPrimaryKeyRelatedField(queryset=PublicIssue.objects.all())


class ClockSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["idle", "running", "paused", "met", "missed"])
    target = serializers.IntegerField(help_text="Seconds.")
    elapsed = serializers.IntegerField(help_text="Seconds of counted time so far.")
    paused = serializers.IntegerField(help_text="Seconds paused.")
    remaining = serializers.IntegerField(help_text="Seconds left; negative once missed.")
    due_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    breached = serializers.BooleanField()
    missed_by = serializers.IntegerField(allow_null=True, help_text="Seconds late.")
    cycle = serializers.IntegerField()


class ClocksSerializer(serializers.Serializer):
    first_response = ClockSerializer()
    update = ClockSerializer(help_text="The periodic public update clock.")
    resolution = ClockSerializer()


class TicketSlaSerializer(serializers.Serializer):
    """The ticket's SLA replayed from its timeline at the moment of the request."""

    computed_at = serializers.DateTimeField()
    breached = serializers.BooleanField()
    first_responded_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    next_update_due = serializers.DateTimeField(allow_null=True)
    updates_on_time = serializers.IntegerField()
    updates_late = serializers.IntegerField()
    clocks = ClocksSerializer()
