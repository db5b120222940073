"""Survey emails: relationship NPS invitations on their interval, and the delivery of every
survey email (invitations and thank-yous) with the helpdesk's claim/send/retry cycle.

Nobody is over-surveyed: a contact is asked for NPS at most once per SURVEY_NPS_INTERVAL, and
no survey invitation goes to someone who was sent one, or answered a survey, within
SURVEY_QUIET_PERIOD (the survey stays on their progress page all the same).
"""

import logging
import time
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from feedback.surveys.links import nps_url, ticket_survey_url
from feedback.surveys.models import RelationshipSurvey, SurveyEmail, TicketSurvey
from feedback.surveys.services import survey_grouping
from feedback.surveys.windows import Window, nps_window, ticket_survey_window
from helpdesk.models import Contact, DeliveryStatus, Ticket
from helpdesk.services.notifications import SMTP_TIMEOUT, enqueue_after_commit
from helpdesk.services.outbound import (
    outbound_claim,
    outbound_due,
    outbound_failed,
    outbound_sent,
    outbound_skipped,
)

log = logging.getLogger(__name__)
NOT_SENT = (DeliveryStatus.SKIPPED, DeliveryStatus.FAILED)


# Who was surveyed lately.


def _recently_surveyed(contact: OuterRef, now: datetime) -> Q:
    """An invitation sent or still on its way, or a survey answered, in the quiet period."""
    since = now - settings.SURVEY_QUIET_PERIOD
    return Q(
        Exists(
            SurveyEmail.objects.filter(
                contact=contact, kind__in=SurveyEmail.INVITATIONS, created_at__gt=since
            ).exclude(status__in=NOT_SENT)
        )
        | Exists(TicketSurvey.objects.filter(contact=contact, answered_at__gt=since))
        | Exists(RelationshipSurvey.objects.filter(contact=contact, answered_at__gt=since))
    )


def _due_nps(now: datetime) -> QuerySet[Contact]:
    """Contacts whose ticket survey was offered within the NPS interval, not asked for NPS
    within it, and not surveyed lately; with their latest surveyed ticket."""
    since = now - settings.SURVEY_NPS_INTERVAL
    offered = TicketSurvey.objects.filter(
        contact=OuterRef("pk"), offer_at__gt=since, offer_at__lte=now
    )
    latest = offered.order_by("-offer_at").values("ticket_id")[:1]
    asked = RelationshipSurvey.objects.filter(contact=OuterRef("pk"), created_at__gt=since)
    return (
        Contact.objects.filter(Exists(offered))
        .exclude(Exists(asked))
        .exclude(_recently_surveyed(OuterRef("pk"), now))
        .exclude(email="")
        .annotate(latest_ticket=Subquery(latest))
    )


def contacts_due_nps(*, now: datetime, limit: int) -> list[tuple[int, int]]:
    """(contact id, latest surveyed ticket id) of the contacts due for NPS."""
    return list(_due_nps(now).order_by("pk").values_list("pk", "latest_ticket")[:limit])


def nps_invite(*, contact: Contact, ticket: Ticket) -> RelationshipSurvey:
    """Ask one contact for NPS now; the email leaves after commit."""
    with transaction.atomic():
        survey = RelationshipSurvey.objects.create(
            contact=contact, ticket=ticket, **survey_grouping(ticket)
        )
        email = SurveyEmail.objects.create(
            kind=SurveyEmail.Kind.NPS,
            contact=contact,
            email=contact.email,
            relationship_survey=survey,
        )
        enqueue_after_commit("feedback.surveys.tasks.deliver_survey_email", email.pk)
    return survey


def nps_invite_due(*, limit: int = 500) -> int:
    """Invite the contacts due for NPS; each re-checked under its row lock, so two task
    clusters running at once never invite anyone twice."""
    now = timezone.now()
    invited = 0
    for contact_id, ticket_id in contacts_due_nps(now=now, limit=limit):
        with transaction.atomic():
            contact = Contact.objects.select_for_update().get(pk=contact_id)
            if not _due_nps(now).filter(pk=contact_id).exists():
                continue  # invited meanwhile
            nps_invite(contact=contact, ticket=Ticket.objects.get(pk=ticket_id))
            invited += 1
    return invited


# Delivery.


def _skip_reason(row: SurveyEmail, now: datetime) -> str:
    if row.kind == SurveyEmail.Kind.TICKET_SURVEY:
        survey = row.ticket_survey
        window = ticket_survey_window(survey, ticket_status=survey.ticket.status, now=now)
        if window != Window.OPEN:
            return f"The survey is not open for answers ({window})."
        others = SurveyEmail.objects.filter(
            contact_id=row.contact_id,
            kind__in=SurveyEmail.INVITATIONS,
            status=DeliveryStatus.SENT,
            sent_at__gt=now - settings.SURVEY_QUIET_PERIOD,
        ).exclude(pk=row.pk)
        answered = TicketSurvey.objects.filter(
            contact_id=row.contact_id, answered_at__gt=now - settings.SURVEY_QUIET_PERIOD
        )
        if others.exists() or answered.exists():
            return "Suppressed: surveyed within the quiet period."
    if row.kind == SurveyEmail.Kind.NPS:
        window = nps_window(row.relationship_survey, now=now)
        if window != Window.OPEN:
            return f"The survey is not open for answers ({window})."
    return ""


def survey_email_message(row: SurveyEmail) -> EmailMultiAlternatives:
    contact = row.contact
    context: dict = {"name": contact.name}
    if row.kind == SurveyEmail.Kind.TICKET_SURVEY:
        ticket = row.ticket_survey.ticket
        url = ticket_survey_url(row.ticket_survey)
        context |= {
            "reference": ticket.reference,
            "subject": ticket.subject,
            "url": url,
            "ratings": [(n, f"{url}?csat={n}") for n in range(1, 6)],
        }
        subject = f"[{ticket.reference}] How did we do?"
        template = "feedback/surveys/email/ticket_survey"
    elif row.kind == SurveyEmail.Kind.NPS:
        url = nps_url(row.relationship_survey)
        context |= {"url": url, "ratings": [(n, f"{url}?score={n}") for n in range(0, 11)]}
        subject = "One question: would you recommend us?"
        template = "feedback/surveys/email/nps"
    else:
        subject = "Thank you for recommending us"
        template = "feedback/surveys/email/thank_you"
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.email],
        headers={"Auto-Submitted": "auto-generated"},
        connection=get_connection(timeout=SMTP_TIMEOUT),
    )
    email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return email


def survey_email_deliver(*, email_id: int) -> str:
    """Send one survey email if it is due and still wanted; returns the outcome."""
    now = timezone.now()
    if not outbound_claim(SurveyEmail, email_id, now=now):
        return "not due"
    row = SurveyEmail.objects.select_related(
        "contact", "ticket_survey__ticket", "relationship_survey"
    ).get(pk=email_id)
    reason = _skip_reason(row, now)
    if reason:
        return outbound_skipped(row, reason=reason)
    try:
        survey_email_message(row).send()
    except Exception as exc:  # recorded on the row and retried, like every email
        log.warning("Sending %s failed: %s", row, exc)
        return outbound_failed(row, error=f"{type(exc).__name__}: {exc}")
    return outbound_sent(row)


def survey_emails_deliver_due(*, limit: int = 500, budget: float = 60.0) -> int:
    deadline = time.monotonic() + budget
    sent = 0
    for pk in outbound_due(SurveyEmail, now=timezone.now(), limit=limit):
        if time.monotonic() > deadline:
            break  # the next run carries on
        sent += survey_email_deliver(email_id=pk) == DeliveryStatus.SENT
    return sent
