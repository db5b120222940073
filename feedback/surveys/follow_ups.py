"""The closed loop's follow-ups: the ticket an unhappy answer opens, on a 48-hour SLA, and
"you told us…, we did…" on the original ticket's progress page once it is done."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from feedback.surveys.models import SurveyFollowUp
from feedback.surveys.windows import DONE
from helpdesk.models import Category, Contact, Priority, SlaPolicy, Team, Ticket
from helpdesk.services.tickets import ticket_create
from statusfeed.services import ticket_public_event

FOLLOW_UP_CATEGORY = "survey-follow-up"
FOLLOW_UP_RESOLUTION = timedelta(hours=48)
CX_TEAM = "cx-insights"
# The public event that carries "you told us…, we did…" to the original ticket's page.
FOLLOW_UP_EVENT = "feedback_follow_up"


def follow_up_category() -> Category:
    """The follow-ups' category: its SLA policy gives them 48 hours, around the clock.

    Seeded by a migration; put back (on the CX team) if an admin removed it, so an unhappy
    answer never fails to open its follow-up.
    """
    category = Category.objects.filter(slug=FOLLOW_UP_CATEGORY).first()
    if category is not None:
        return category
    team = Team.objects.filter(slug=CX_TEAM).first() or Team.objects.order_by("pk").first()
    category, _ = Category.objects.get_or_create(
        slug=FOLLOW_UP_CATEGORY,
        defaults={"name": "Survey follow-up", "team": team, "default_priority": Priority.NORMAL},
    )
    SlaPolicy.objects.get_or_create(
        priority="",
        category=category,
        contact=None,
        defaults={"resolution": FOLLOW_UP_RESOLUTION, "resolution_24x7": True},
    )
    return category


def follow_up_open(
    *, original: Ticket, contact: Contact | None, told: str, summary: str, **survey
) -> SurveyFollowUp:
    """A ticket owned by the original ticket's team, on the follow-up category's 48 h SLA."""
    ticket, _token = ticket_create(
        subject=f"Following up on your feedback about {original.reference}",
        description=summary
        + "\n\nContact them, put it right, resolve this ticket, then publish what we did from "
        "its survey follow-up: it shows on the progress page of " + original.reference + ".",
        category=follow_up_category(),
        requester=contact,
        team=original.team,
        audience=original.audience,
        channel=original.channel,
    )
    return SurveyFollowUp.objects.create(
        original=original, ticket=ticket, you_told_us=told, **survey
    )


def follow_up_outcome_publish(
    *, follow_up: SurveyFollowUp, outcome: str, actor: AbstractBaseUser | None
) -> SurveyFollowUp:
    """Show "you told us…, we did…" on the original ticket's progress page, once the
    follow-up is resolved; through the outbox, so the page updates live and the requester
    gets it by email like any public update."""
    outcome = outcome.strip()
    if not outcome:
        raise ValueError("Write what we did before publishing it.")
    with transaction.atomic():
        follow_up = SurveyFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.outcome_published_at is not None:
            raise ValueError("This follow-up's outcome is already on the progress page.")
        ticket = Ticket.objects.get(pk=follow_up.ticket_id)
        if ticket.status not in DONE:
            raise ValueError(f"Resolve {ticket.reference} first: only a done follow-up is shown.")
        now = timezone.now()
        follow_up.outcome, follow_up.outcome_published_at = outcome, now
        follow_up.published_by = actor
        follow_up.save(update_fields=["outcome", "outcome_published_at", "published_by"])
        ticket_public_event(
            ticket=Ticket.objects.get(pk=follow_up.original_id),
            kind=FOLLOW_UP_EVENT,
            at=now,
            message=f"You told us: {follow_up.you_told_us}\nWe did: {outcome}",
            you_told_us=follow_up.you_told_us,
            we_did=outcome,
        )
    return follow_up
