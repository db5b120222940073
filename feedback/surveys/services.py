"""Writes of the surveys: a survey scheduled at resolution, answers, the follow-up an unhappy
answer opens (exactly one per survey, feedback.surveys.follow_ups), a promoter's thank-you.

Each function owns its transaction and locks the survey row it changes, so a repeated or
concurrent submit of the same answer waits for the first and then finds its follow-up.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback.models import TicketTriage
from feedback.surveys.follow_ups import follow_up_open
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
    SurveyClosed,
    Window,
    check_takes_answers,
    nps_window,
    refusal,
    ticket_survey_window,
)
from feedback.triage import sentiment_score
from helpdesk.models import Contact, DeliveryStatus, Ticket
from helpdesk.services.notifications import enqueue_after_commit


def survey_grouping(ticket: Ticket) -> dict:
    """Where an answer about this ticket counts in the Satisfaction Index."""
    touchpoint = (
        TicketTriage.objects.filter(ticket_id=ticket.pk)
        .values_list("touchpoint", flat=True)
        .first()
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


def ticket_survey_withdraw(*, ticket: Ticket) -> None:
    """A reopened ticket is not surveyed until it is resolved again (an answer stays)."""
    TicketSurvey.objects.filter(ticket_id=ticket.pk, answered_at__isnull=True).update(offer_at=None)


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
            follow_up_open(
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
            follow_up_open(
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
