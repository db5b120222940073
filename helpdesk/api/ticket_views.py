"""Ticket endpoints. Thin: access decides what a user may touch, services make every change."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.access import agent_of, ticket_can_act, tickets_visible_to
from helpdesk.api.base import HelpdeskView
from helpdesk.api.errors import Conflict, PreconditionFailed
from helpdesk.api.filters import TICKET_ORDERING_KEYS, TicketFilter
from helpdesk.api.pagination import KeysetPagination
from helpdesk.api.ticket_serializers import (
    AssignSerializer,
    MessageSerializer,
    PublicIssueLinkSerializer,
    ReplySerializer,
    TicketChangeSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketSlaSerializer,
)
from helpdesk.models import Message, Ticket, TicketEvent
from helpdesk.services.assignment import ticket_assign, ticket_take
from helpdesk.services.tickets import (
    ticket_change_category,
    ticket_change_priority,
    ticket_change_status,
    ticket_change_team,
    ticket_reply,
)
from helpdesk.services.timeline import sla_state
from statusfeed.services import ticket_link_public_issue

REFERENCE = re.compile(r"\A[Hh][Dd]-([0-9]{1,18})\Z")
ENTITY_TAG = re.compile(r'\A(W/)?"[^"]*"\Z')

# Field, the service that changes it and the service's argument. Team goes before assignee, as
# the new owner must be in the ticket's new team (the admin applies them in the same order).
TICKET_CHANGES = (
    ("category", ticket_change_category, "category"),
    ("team", ticket_change_team, "team"),
    ("priority", ticket_change_priority, "priority"),
    ("assignee", ticket_assign, "agent"),
    ("status", ticket_change_status, "status"),
)

ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="The ticket's version; send it back in If-Match.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag last read (e.g. "7"); the change is refused with 412 if stale.',
)


def etag(ticket: Ticket) -> str:
    return f'"{ticket.version}"'


class TicketList(HelpdeskView, generics.ListAPIView):
    """Tickets of the caller's teams (every ticket for managers), one page at a time."""

    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    pagination_class = KeysetPagination
    ordering_keys = TICKET_ORDERING_KEYS
    default_ordering = "-created_at"

    def get_queryset(self):
        return (
            tickets_visible_to(self.request.user)
            .select_related("team", "category", "assignee__user")
            .defer("description", "sla_state")
        )


def with_details(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related(
        "team", "category", "assignee__user", "requester", "public_issue_link"
    )


class TicketView(HelpdeskView):
    """One ticket by reference; a ticket the caller may not see is a 404, as if it did not exist."""

    honours_if_match = True
    queryset = Ticket.objects.none()  # for the schema: what `reference` looks up

    def visible_ticket(self) -> Ticket:
        match = REFERENCE.match(self.kwargs["reference"])
        tickets = tickets_visible_to(self.request.user)
        ticket = with_details(tickets).filter(pk=int(match[1])).first() if match else None
        if ticket is None:
            raise NotFound("No such ticket.")
        return ticket

    def actable_ticket(self) -> Ticket:
        ticket = self.visible_ticket()
        if not ticket_can_act(self.request.user, ticket):
            raise PermissionDenied("You may see this ticket but not change it.")
        return ticket

    @contextmanager
    def locked(self, ticket: Ticket) -> Iterator[Ticket]:
        """The ticket locked for this request's changes, once If-Match (if sent) agrees."""
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
            self.check_if_match(ticket)
            yield ticket

    def check_if_match(self, ticket: Ticket) -> None:
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        tags = [tag.strip() for tag in header.split(",")]
        if tags == ["*"]:
            return
        if not all(ENTITY_TAG.match(tag) for tag in tags):
            raise ValidationError({"If-Match": ['Give "*" or ETags as sent, such as "7".']})
        if etag(ticket) not in tags:
            raise PreconditionFailed(
                f"{ticket.reference} changed since you read it; its ETag is now {etag(ticket)}."
            )

    def ticket_response(self, ticket: Ticket, *, reread: bool = True) -> Response:
        if reread:
            # Without the visibility filter: a change (of team, say) may just have moved the
            # ticket out of the caller's sight, and they still get to see the outcome.
            ticket = with_details(Ticket.objects).get(pk=ticket.pk)
        response = Response(TicketDetailSerializer(ticket).data)
        response["ETag"] = etag(ticket)
        return response


class TicketDetail(TicketView):
    @extend_schema(responses=TicketDetailSerializer, parameters=[ETAG])
    def get(self, request: Request, reference: str) -> Response:
        return self.ticket_response(self.visible_ticket(), reread=False)

    @extend_schema(
        request=TicketChangeSerializer,
        responses=TicketDetailSerializer,
        parameters=[IF_MATCH, ETAG],
    )
    def patch(self, request: Request, reference: str) -> Response:
        ticket = self.actable_ticket()
        changes = TicketChangeSerializer(data=request.data, context={"ticket": ticket})
        changes.is_valid(raise_exception=True)
        with self.locked(ticket) as ticket:
            for name, service, argument in TICKET_CHANGES:
                if name not in changes.validated_data:
                    continue
                new = changes.validated_data[name]
                old = getattr(ticket, Ticket._meta.get_field(name).attname)
                if old == getattr(new, "pk", new):
                    continue
                ticket = service(ticket=ticket, actor=request.user, **{argument: new})
        return self.ticket_response(ticket)


class TicketAssign(TicketView):
    @extend_schema(
        request=AssignSerializer, responses=TicketDetailSerializer, parameters=[IF_MATCH, ETAG]
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.actable_ticket()
        body = AssignSerializer(data=request.data, context={"ticket": ticket})
        body.is_valid(raise_exception=True)
        with self.locked(ticket) as ticket:
            ticket_assign(ticket=ticket, agent=body.validated_data["assignee"], actor=request.user)
        return self.ticket_response(ticket)


class TicketTake(TicketView):
    @extend_schema(
        request=None,
        responses=TicketDetailSerializer,
        parameters=[IF_MATCH, ETAG],
        description="Claim an unassigned open ticket of one of your teams.",
    )
    def post(self, request: Request, reference: str) -> Response:
        agent = agent_of(request.user)
        if agent is None:
            raise PermissionDenied("Only agents can take tickets.")
        with self.locked(self.actable_ticket()) as ticket:
            if not ticket_take(ticket=ticket, agent=agent):
                raise Conflict(f"{ticket.reference} already has an owner or is done.")
        return self.ticket_response(ticket)


class TicketReplies(TicketView):
    @extend_schema(
        request=ReplySerializer,
        responses={201: MessageSerializer},
        parameters=[IF_MATCH],
        description="A public reply (the customer sees it) or an internal note (public: false).",
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.actable_ticket()
        body = ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with self.locked(ticket) as ticket:
            message = ticket_reply(ticket=ticket, author=request.user, **body.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketMessages(TicketView):
    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request: Request, reference: str) -> Response:
        ticket = self.visible_ticket()
        messages = (
            Message.objects.filter(ticket=ticket)
            .select_related("author")
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        )
        return Response(MessageSerializer(messages, many=True).data)


class TicketPublicIssue(TicketView):
    @extend_schema(
        request=PublicIssueLinkSerializer,
        responses=TicketDetailSerializer,
        parameters=[IF_MATCH, ETAG],
        description="Link the ticket to a known issue on the public board (replaces any link).",
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.actable_ticket()
        body = PublicIssueLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with self.locked(ticket) as ticket:
            ticket_link_public_issue(ticket=ticket, issue=body.validated_data["issue"])
        return self.ticket_response(ticket)


class TicketTimeline(TicketView):
    @extend_schema(responses=TicketEventSerializer(many=True))
    def get(self, request: Request, reference: str) -> Response:
        ticket = self.visible_ticket()
        events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
        return Response(TicketEventSerializer(events.order_by("at", "pk"), many=True).data)


class TicketSla(TicketView):
    @extend_schema(responses=OpenApiResponse(TicketSlaSerializer))
    def get(self, request: Request, reference: str) -> Response:
        ticket = self.visible_ticket()
        state = sla_state(ticket, now=timezone.now())
        data = {
            "computed_at": state.now,
            "breached": state.breached,
            "first_responded_at": state.first_responded_at,
            "resolved_at": state.resolved_at,
            "next_update_due": state.next_update_due,
            "updates_on_time": state.updates_on_time,
            "updates_late": state.updates_late,
            "clocks": {name: clock.as_data() for name, clock in state.clocks.items()},
        }
        return Response(TicketSlaSerializer(data).data)
