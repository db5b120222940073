"""Teams, agents, categories, calendars and SLA policies as the API reads and writes them."""

from copy import copy

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.api.fields import (
    StrictChoiceField,
    StrictModelSerializer,
    StrictSlugRelatedField,
)
from helpdesk.models import Agent, Calendar, Category, Contact, Priority, SlaPolicy, Team

WINDOW_SCHEMA = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0, "maximum": 1440},
    "minItems": 2,
    "maxItems": 2,
    "description": "[start, end] in minutes after local midnight, start < end.",
}


@extend_schema_field(
    {
        "type": "object",
        "properties": {str(day): {"type": "array", "items": WINDOW_SCHEMA} for day in range(7)},
        "additionalProperties": False,
        "description": 'Weekday ("0" is Monday) to business windows, e.g. {"0": [[540, 1020]]}.',
    }
)
class WeeklyField(serializers.Field):
    default_error_messages = {
        "invalid": 'Give an object of weekday ("0".."6") to [[start, end], ...] in minutes, '
        "with 0 <= start < end <= 1440.",
        "empty": "A calendar needs some business time in its week.",
    }

    def to_internal_value(self, data) -> dict:
        if not isinstance(data, dict) or not set(data) <= {str(day) for day in range(7)}:
            self.fail("invalid")
        for windows in data.values():
            if not isinstance(windows, list) or not all(_is_window(w) for w in windows):
                self.fail("invalid")
        if not any(data.values()):
            self.fail("empty")
        return data

    def to_representation(self, value: dict) -> dict:
        return value


def _is_window(window) -> bool:
    return (
        isinstance(window, list)
        and len(window) == 2
        and all(isinstance(m, int) and not isinstance(m, bool) for m in window)
        and 0 <= window[0] < window[1] <= 1440
    )


def _model_clean(model_class, instance, attrs: dict) -> None:
    """Run the model's own clean() on the would-be result of this write."""
    candidate = copy(instance) if instance is not None else model_class()
    for name, value in attrs.items():
        setattr(candidate, name, value)
    try:
        candidate.clean()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from None


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class CalendarSerializer(StrictModelSerializer):
    weekly = WeeklyField()
    holidays = HolidaySerializer(many=True, read_only=True, help_text="Custom holidays.")

    class Meta:
        model = Calendar
        fields = [
            "id",
            "name",
            "timezone",
            "weekly",
            "holiday_country",
            "holiday_subdivision",
            "holidays",
            "version",
        ]
        read_only_fields = ["version"]

    def validate(self, attrs: dict) -> dict:
        _model_clean(Calendar, self.instance, attrs)
        return attrs


class TeamSerializer(StrictModelSerializer):
    lead = StrictSlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        help_text="Username of the team's lead.",
    )

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "calendar", "lead", "assignment_strategy"]


class AgentSerializer(StrictModelSerializer):
    user = StrictSlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        help_text="Username; set when the agent is created.",
    )
    name = serializers.CharField(source="__str__", read_only=True)
    teams = StrictSlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), many=True, required=False
    )

    class Meta:
        model = Agent
        fields = ["id", "user", "name", "teams", "capacity", "is_available"]

    def validate_user(self, user):
        if self.instance is not None and user.pk != self.instance.user_id:
            raise serializers.ValidationError("An agent's user cannot change.")
        return user


class CategorySerializer(StrictModelSerializer):
    team = StrictSlugRelatedField(slug_field="slug", queryset=Team.objects.all())

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "team", "default_priority"]


class SlaPolicySerializer(StrictModelSerializer):
    priority = StrictChoiceField(
        choices=Priority.choices,
        allow_blank=True,
        required=False,
        help_text="Blank on a category or customer policy: it applies to every tier.",
    )
    category = StrictSlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False
    )
    contact = StrictSlugRelatedField(
        slug_field="email",
        queryset=Contact.objects.all(),
        allow_null=True,
        required=False,
        help_text="The customer's email.",
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "priority",
            "category",
            "contact",
            "first_response",
            "first_response_24x7",
            "update_interval",
            "update_24x7",
            "resolution",
            "resolution_24x7",
            "version",
        ]
        read_only_fields = ["version"]
        # The scope's uniqueness and the targets' rules are the model's, checked by the service.
        validators: list = []
