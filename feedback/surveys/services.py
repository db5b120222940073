"""Writes of the surveys: a survey scheduled at resolution, answers, the follow-up an unhappy
answer opens (exactly one per survey), a promoter's thank-you, and publishing what we did.

Each function owns its transaction and locks the survey row it changes, so a repeated or
concurrent submit of the same answer waits for the first and then finds its follow-up.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from feedback.models import TicketTriage
from feedback.surveys.metrics import (
    CES_SCALE,
    CSAT_SCALE,
    DETRACTOR_MAX,
    LOW_CSAT_MAX,
    NPS_SCALE,
    PROMOTER_MIN,
)
from feedback.surveys.models import (
    AnsweredVia,
    RelationshipSurvey,
    SurveyEmail,
    SurveyFollowUp,
    TicketSurvey,
)
from feedback.surveys.windows import (
    DONE,
    SurveyClosed,
    Window,
    check_takes_answers,
    nps_window,
    refusal,
    ticket_survey_window,
)
from feedback.triage import sentiment_score
from helpdesk.models import Category, Contact, DeliveryStatus, Priority, SlaPolicy, Team, Ticket
from helpdesk.services.notifications import enqueue_after_commit
from helpdesk.services.tickets import ticket_create
from statusfeed.services import ticket_public_event

FOLLOW_UP_CATEGORY = "survey-follow-up"
FOLLOW_UP_RESOLUTION = timedelta(hours=48)
CX_TEAM = "cx-insights"
# The public event that carries "you told us…, we did…" to the original ticket's page.
FOLLOW_UP_EVENT = "feedback_follow_up"


def survey_grouping(ticket: Ticket) -> dict:
    """Where an answer about this ticket counts in the Satisfaction Index."""
    touchpoint = (
        TicketTriage.objects.filter(ticket_id=ticket.pk).values_list("touchpoint", flat=True).first()
    )
    return {
        "team_id": ticket.team_id,
        "category_id": ticket.category_id,
        "audience": ticket.audience,
        "touchpoint": touchpoint or "",
    }


# Scheduling, at resolution.


def ticket_survey_schedule(*, ticket: Ticket, resolved_at: datetime) -> TicketSurvey | None:
    """Offer the ticket's survey SURVEY_DELAY after its resolution (called in the transaction
    that resolves it, the ticket row locked); a ticket resolved again is offered again."""
    if SurveyFollowUp.objects.filter(ticket_id=ticket.pk).exists():
        return None  # a follow-up of a survey is not surveyed in turn
    offer_at = resolved_at + settings.SURVEY_DELAY
    survey, created = TicketSurvey.objects.get_or_create(
        ticket=ticket,
        defaults={
            "contact_id": ticket.requester_id,
            "offer_at": offer_at,
            "created_at": resolved_at,
            **survey_grouping(ticket),
        },
    )
    if not created:
        if survey.answered_at is not None:
            return survey
        survey.offer_at = offer_at
        survey.save(update_fields=["offer_at"])
    _invitation_queue(survey=survey, contact=ticket.requester)
    return survey


def _invitation_queue(*, survey: TicketSurvey, contact: Contact | None) -> None:
    """The emailed invitation goes out when the survey is offered (tasks.deliver_due)."""
    if contact is None or not contact.email:
        return
    email = SurveyEmail.objects.filter(
        ticket_survey=survey, kind=SurveyEmail.Kind.TICKET_SURVEY
    ).first()
    if email is None:
        SurveyEmail.objects.create(
            kind=SurveyEmail.Kind.TICKET_SURVEY,
            contact=contact,
            email=contact.email,
            ticket_survey=survey,
            send_after=survey.offer_at,
        )
    elif email.status not in (DeliveryStatus.SENT, DeliveryStatus.SENDING):
        # Skipped because the ticket was reopened, say: due again at the new offer.
        SurveyEmail.objects.filter(pk=email.pk).update(
            status=DeliveryStatus.QUEUED, send_after=survey.offer_at, attempts=0, last_error=""
        )


# Answers.


@dataclass(frozen=True)
class TicketSurveyAnswer:
    csat: int
    ces: int | None = None
    comment: str = ""

    def __post_init__(self) -> None:
        if self.csat not in CSAT_SCALE:
            raise ValueError("CSAT is a whole number from 1 to 5.")
        if self.ces is not None and self.ces not in CES_SCALE:
            raise ValueError("CES is a whole number from 1 to 7.")


def _sentiment(comment: str) -> float | None:
    return sentiment_score(comment) if comment else None


def ticket_survey_answer(
    *, survey: TicketSurvey, answer: TicketSurveyAnswer, via: str
) -> TicketSurvey:
    """Record (or change, within the edit window) the one answer of a ticket's survey; a low
    CSAT opens the survey's follow-up if it has none yet."""
    now = timezone.now()
    sentiment = _sentiment(answer.comment)
    with transaction.atomic():
        survey = TicketSurvey.objects.select_for_update().get(pk=survey.pk)
        ticket = Ticket.objects.select_related("team", "requester").get(pk=survey.ticket_id)
        window = ticket_survey_window(survey, ticket_status=ticket.status, now=now)
        check_takes_answers(window, answered_at=survey.answered_at)
        survey.answered_at = survey.answered_at or now
        survey.updated_at = now
        survey.answered_via = survey.answered_via or via
        survey.csat, survey.ces, survey.comment = answer.csat, answer.ces, answer.comment
        survey.comment_sentiment = sentiment
        for name, value in survey_grouping(ticket).items():
            setattr(survey, name, value)
        survey.save()
        if answer.csat <= LOW_CSAT_MAX and not _has_follow_up(ticket_survey=survey):
            rating = f"you rated how we handled your request {answer.csat} out of 5"
            _follow_up_open(
                original=ticket,
                contact=ticket.requester,
                told=_quoted(answer.comment, rating),
                summary=(
                    f"The requester of {ticket.reference} ({ticket.subject}) answered its survey: "
                    f"CSAT {answer.csat}/5"
                    + (f", effort {answer.ces}/7" if answer.ces else "")
                    + f".\n\nThey wrote: {answer.comment or '(nothing)'}"
                ),
                ticket_survey=survey,
            )
    return survey


def ticket_survey_answer_on_page(*, ticket: Ticket, answer: TicketSurveyAnswer) -> TicketSurvey:
    survey = TicketSurvey.objects.filter(ticket_id=ticket.pk).first()
    if survey is None:
        raise SurveyClosed(refusal(Window.WAITING, answered_at=None))
    return ticket_survey_answer(survey=survey, answer=answer, via=AnsweredVia.PAGE)


def nps_answer(*, survey: RelationshipSurvey, score: int, comment: str = "") -> RelationshipSurvey:
    """Record (or change) a contact's NPS answer: a detractor opens one follow-up, a promoter
    is thanked once (by email, after commit)."""
    if score not in NPS_SCALE:
        raise ValueError("The score is a whole number from 0 to 10.")
    now = timezone.now()
    sentiment = _sentiment(comment)
    with transaction.atomic():
        survey = (
            RelationshipSurvey.objects.select_for_update()
            .select_related("contact")
            .get(pk=survey.pk)
        )
        check_takes_answers(nps_window(survey, now=now), answered_at=survey.answered_at)
        ticket = Ticket.objects.select_related("team").get(pk=survey.ticket_id)
        survey.answered_at = survey.answered_at or now
        survey.updated_at = now
        survey.score, survey.comment, survey.comment_sentiment = score, comment, sentiment
        for name, value in survey_grouping(ticket).items():
            setattr(survey, name, value)
        survey.save()
        if score <= DETRACTOR_MAX and not _has_follow_up(relationship_survey=survey):
            rating = f"you scored us {score} out of 10 for recommending us"
            _follow_up_open(
                original=ticket,
                contact=survey.contact,
                told=_quoted(comment, rating),
                summary=(
                    f"A detractor: asked how likely they are to recommend us, the requester "
                    f"of {ticket.reference} answered {score}/10.\n\n"
                    f"They wrote: {comment or '(nothing)'}"
                ),
                relationship_survey=survey,
            )
        if score >= PROMOTER_MIN:
            _thank_you_queue(survey=survey)
    return survey


def _quoted(comment: str, rating: str) -> str:
    return f"“{comment}” ({rating})" if comment else rating[0].upper() + rating[1:] + "."


def _has_follow_up(**survey) -> bool:
    return SurveyFollowUp.objects.filter(**survey).exists()


def _thank_you_queue(*, survey: RelationshipSurvey) -> None:
    if SurveyEmail.objects.filter(
        relationship_survey=survey, kind=SurveyEmail.Kind.THANK_YOU
    ).exists():
        return
    email = SurveyEmail.objects.create(
        kind=SurveyEmail.Kind.THANK_YOU,
        contact=survey.contact,
        email=survey.contact.email,
        relationship_survey=survey,
    )
    enqueue_after_commit("feedback.surveys.tasks.deliver_survey_email", email.pk)


# Follow-ups.


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


def _follow_up_open(
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
    return SurveyFollowUp.objects.create(original=original, ticket=ticket, you_told_us=told, **survey)


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
