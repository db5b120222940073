"""What surveys ask and what people answered, the follow-up work unhappy answers open, and the
survey emails (an outbox, sent by django-q2 like every other email).

Answers carry the grouping fields the Satisfaction Index is cut by (team, category, audience,
touchpoint), copied from the ticket, so the report's aggregates never join the ticket table.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from feedback.models import Touchpoint
from helpdesk.models import Audience, Category, Contact, Team, Ticket
from helpdesk.models.notifications import Outbound


class SurveyGrouping(models.Model):
    """Where an answer counts in the Satisfaction Index, as its ticket stood when answered."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, db_index=False, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices)
    touchpoint = models.CharField(max_length=20, choices=Touchpoint.choices, blank=True)

    class Meta:
        abstract = True


class AnsweredVia(models.TextChoices):
    PAGE = "page", "Progress page"
    EMAIL = "email", "Emailed link"


class TicketSurvey(SurveyGrouping):
    """The survey about one resolved ticket: CSAT (1–5), CES (1–7) and one open question.

    One per ticket; answering again within the edit window changes the same answer.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_surveys"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Resolution plus SURVEY_DELAY: from then on the page offers it and the invitation goes
    # out. Empty while withdrawn: the ticket was reopened before the survey was answered.
    offer_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=10, choices=AnsweredVia.choices, blank=True)
    csat = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How satisfied: 1 (very dissatisfied) … 5 (very)."
    )
    ces = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How easy: 1 (very difficult) … 7 (very easy)."
    )
    comment = models.TextField(blank=True)
    comment_sentiment = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="ticket_survey_csat_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7),
                name="ticket_survey_ces_1_to_7",
            ),
        ]
        indexes = [
            models.Index(fields=["offer_at"], name="ticket_survey_offer"),
            models.Index(fields=["answered_at"], name="ticket_survey_answered"),
            models.Index(fields=["contact", "offer_at"], name="ticket_survey_contact"),
        ]

    def __str__(self) -> str:
        return f"Survey of {Ticket(pk=self.ticket_id).reference}"


class RelationshipSurvey(SurveyGrouping):
    """A periodic "how likely are you to recommend us" (NPS, 0–10) to one contact.

    Grouped by the contact's latest surveyed ticket when they were asked.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="relationship_surveys"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    comment_sentiment = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "NPS survey"
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=10), name="nps_score_0_to_10"
            )
        ]
        indexes = [
            models.Index(fields=["contact", "created_at"], name="nps_contact"),
            models.Index(fields=["created_at"], name="nps_invited"),
            models.Index(fields=["answered_at"], name="nps_answered"),
        ]

    def __str__(self) -> str:
        return f"NPS survey {self.pk} of contact {self.contact_id}"


class SurveyFollowUp(models.Model):
    """The ticket an unhappy answer opened, and what the team did, once made public."""

    original = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="survey_follow_ups")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey_follow_up")
    # Exactly one of the two; each unique, so one answer can never open two follow-ups.
    ticket_survey = models.OneToOneField(
        TicketSurvey, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up"
    )
    relationship_survey = models.OneToOneField(
        RelationshipSurvey,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    you_told_us = models.TextField(help_text="The answer, as the customer will see it quoted.")
    outcome = models.TextField(blank=True, help_text="What we did, shown on the progress page.")
    outcome_published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket_survey__isnull=False, relationship_survey__isnull=True)
                | Q(ticket_survey__isnull=True, relationship_survey__isnull=False),
                name="follow_up_of_one_survey",
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up {Ticket(pk=self.ticket_id).reference} of {self.original.reference}"


class SurveyEmail(Outbound):
    """One survey email: an invitation, or a promoter's thank-you. Written in the transaction
    that calls for it, sent by a django-q2 task, retried with backoff (helpdesk outbound)."""

    class Kind(models.TextChoices):
        TICKET_SURVEY = "ticket_survey", "Survey invitation"
        NPS = "nps", "NPS invitation"
        THANK_YOU = "thank_you", "Thank-you to a promoter"

    INVITATIONS = (Kind.TICKET_SURVEY, Kind.NPS)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_emails")
    email = models.EmailField()
    ticket_survey = models.ForeignKey(
        TicketSurvey, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    relationship_survey = models.ForeignKey(
        RelationshipSurvey, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_survey", "kind"],
                condition=Q(ticket_survey__isnull=False),
                name="survey_email_once_per_ticket_survey",
            ),
            models.UniqueConstraint(
                fields=["relationship_survey", "kind"],
                condition=Q(relationship_survey__isnull=False),
                name="survey_email_once_per_nps",
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=Q(status__in=["queued", "retrying"]),
                name="survey_email_due",
            ),
            models.Index(fields=["contact", "created_at"], name="survey_email_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.email}"


class SatisfactionReport(TicketSurvey):
    """The admin's handle on the Satisfaction Index dashboard (an admin page needs a model)."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "Satisfaction Index"
