"""Filters and sort keys of the ticket list; a value that does not parse is a 400, never ignored."""

from datetime import UTC

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError

from helpdesk.access import agent_of
from helpdesk.api.pagination import SortKey
from helpdesk.models import Audience, Category, Channel, Priority, Status, Team, Ticket

TRUE_FALSE = [("true", "true"), ("false", "false")]


class BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(UTC) if parsed else parsed
        except OverflowError:
            raise forms.ValidationError("Out of range.", code="invalid") from None


class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class StrictFilterSet(filters.FilterSet):
    """A filter named with no value is an error too, rather than quietly no filter at all; and
    no value with a NUL reaches a lookup (PostgreSQL answers those with an error)."""

    def is_valid(self) -> bool:
        errors = {}
        for name in self.filters:
            values = self.data.getlist(name)
            if any("\x00" in value for value in values):
                errors[name] = ["Null characters are not allowed."]
            elif "" in values:
                errors[name] = ["No value given; leave the parameter out instead."]
        if errors:
            raise ValidationError(errors)
        return super().is_valid()


class TicketFilter(StrictFilterSet):
    status = filters.MultipleChoiceFilter(choices=Status.choices)
    priority = filters.MultipleChoiceFilter(choices=Priority.choices)
    team = filters.ModelChoiceFilter(
        to_field_name="slug", queryset=Team.objects.all(), help_text="Team slug."
    )
    category = filters.ModelChoiceFilter(
        to_field_name="slug", queryset=Category.objects.all(), help_text="Category slug."
    )
    assignee = filters.CharFilter(
        method="filter_assignee",
        validators=[RegexValidator(r"\A(me|none|[0-9]{1,18})\Z", "Use an agent id, me or none.")],
        help_text="An agent id, `me` (the caller) or `none` (unassigned).",
    )
    channel = filters.MultipleChoiceFilter(choices=Channel.choices)
    audience = filters.MultipleChoiceFilter(choices=Audience.choices)
    breached = filters.ChoiceFilter(
        choices=TRUE_FALSE, method="filter_breached", help_text="Whether an SLA target was missed."
    )
    due_before = BoundedIsoDateTimeFilter(
        field_name="resolution_due", lookup_expr="lt", help_text="Resolution due before this."
    )
    due_after = BoundedIsoDateTimeFilter(
        field_name="resolution_due", lookup_expr="gte", help_text="Resolution due at or after."
    )
    q = filters.CharFilter(
        method="filter_text",
        max_length=200,
        help_text="Words in the subject, or a reference such as HD-000123.",
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str):
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            agent = agent_of(self.request.user)
            return queryset.filter(assignee=agent) if agent else queryset.none()
        return queryset.filter(assignee_id=int(value))

    def filter_breached(self, queryset: QuerySet[Ticket], name: str, value: str):
        return queryset.filter(sla_breached=value == "true")

    def filter_text(self, queryset: QuerySet[Ticket], name: str, value: str):
        words = Q(subject__icontains=value.strip())
        pk = Ticket.pk_from_reference(value.strip()) if value.strip().isascii() else None
        return queryset.filter(words | Q(pk=pk) if pk else words)


PRIORITY_RANK = Case(
    *[When(priority=priority, then=Value(rank)) for rank, priority in enumerate(Priority.values)],
    output_field=IntegerField(),
)


def _with_priority_rank(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.annotate(priority_rank=PRIORITY_RANK)  # critical first


# The sort keys a client may ask for: columns with an index or a cheap expression, never a
# relation (so no `assignee__user__password`).
TICKET_ORDERING_KEYS = {
    "created_at": SortKey("created_at"),
    "updated_at": SortKey("updated_at"),
    "first_response_due": SortKey("first_response_due", nullable=True),
    "next_update_due": SortKey("next_update_due", nullable=True),
    "resolution_due": SortKey("resolution_due", nullable=True),
    "priority": SortKey("priority_rank", kind=int, annotate=_with_priority_rank),
    "reference": SortKey("id", kind=int),
}
