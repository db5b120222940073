"""Intake and triage: the rules that classify and route feedback, and what each arrival left."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from helpdesk.models import Audience, Category, Channel, Message, Priority, Team, Ticket


class Touchpoint(models.TextChoices):
    WEBSITE_VISIT = "website_visit", "Website visit"
    CHECKOUT = "checkout", "Checkout"
    DELIVERY = "delivery", "Delivery"
    SUPPORT_CONTACT = "support_contact", "Support contact"
    ONBOARDING = "onboarding", "Onboarding"
    BILLING = "billing", "Billing"


def word_list(text: str) -> list[str]:
    """Comma- or line-separated words and phrases, lower-cased."""
    return [word.strip().lower() for word in re.split(r"[,\n]", text) if word.strip()]


KEYWORDS_HELP = "Comma-separated words or phrases; each matches words that start with it."


class ClassificationRule(models.Model):
    """Keywords that place feedback sent without a category; the rule matching most wins."""

    position = models.PositiveIntegerField(default=0, help_text="Breaks ties: lower wins.")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="classification_rules"
    )
    keywords = models.TextField(help_text=KEYWORDS_HELP)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.category}"

    @property
    def keyword_list(self) -> list[str]:
        return word_list(self.keywords)


class RoutingRule(models.Model):
    """When every condition set holds, the rule's team, tier and tags apply to a new ticket.

    Rules run in order: the first matching rule that names a team decides the team, the first
    that names a tier decides the tier, and every matching rule adds its tags.
    """

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, blank=True)
    touchpoint = models.CharField(max_length=20, choices=Touchpoint.choices, blank=True)
    keywords = models.TextField(blank=True, help_text="Any of these. " + KEYWORDS_HELP)
    sentiment_at_most = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-1), MaxValueValidator(1)],
        help_text="Matches a sentiment at or below this (−1 very negative … 1 very positive).",
    )
    customer = models.CharField(
        max_length=254, blank=True, help_text="An email address, or @domain for everyone there."
    )

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated.")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.team_id or self.priority or self.tags.strip()):
            raise ValidationError("A rule must set a team, a tier or tags.")

    @property
    def keyword_list(self) -> list[str]:
        return word_list(self.keywords)

    @property
    def tag_list(self) -> list[str]:
        return word_list(self.tags)


class TicketTriage(models.Model):
    """What intake decided about a new ticket, and why."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="triage")
    touchpoint = models.CharField(max_length=20, choices=Touchpoint.choices, blank=True)
    anonymous = models.BooleanField(default=False)
    sentiment = models.FloatField(help_text="VADER compound score of the subject and message.")
    classified_by = models.ForeignKey(
        ClassificationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    classification = models.CharField(max_length=300)
    # Rule names as they were when the ticket arrived, so the record survives later edits.
    routed_by = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "ticket triage"

    def __str__(self) -> str:
        return f"Triage of {self.ticket_id}"


class MessageSentiment(models.Model):
    """The sentiment score of one message a requester wrote."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="sentiment")
    compound = models.FloatField()

    def __str__(self) -> str:
        return f"{self.compound:+.2f} on message {self.message_id}"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` and the answer it got; the unique digest makes concurrent
    requests with the same key wait for the first and then replay its answer.

    Only digests of the key are stored, and the progress token is sealed with the key: the
    table alone gives no one a progress link.
    """

    key_digest = models.CharField(max_length=64, unique=True)
    request_digest = models.CharField(max_length=64)
    receipt = models.JSONField(default=dict)
    sealed_token = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.receipt.get('reference', '?')} at {self.created_at:%Y-%m-%d %H:%M}"


class MailMessage(models.Model):
    """A Message-ID we received or sent for a ticket: replies thread by it, and a
    re-delivered or looping mail stops at it."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Received"
        OUTBOUND = "outbound", "Sent"

    message_id = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mail_messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.message_id


class Acknowledgement(models.Model):
    """The email telling a requester their request arrived: an outbox row until it is sent."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="acknowledgement")
    recipient = models.EmailField()
    # The progress link is a capability: kept only until the email has left.
    progress_url = models.CharField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "created_at"], name="ack_unsent")]

    def __str__(self) -> str:
        return f"Acknowledgement of {self.ticket_id} to {self.recipient}"


# The surveys' models live in their own package; importing them here registers them with
# this app.
from feedback.surveys.models import (  # noqa: E402, F401
    RelationshipSurvey,
    SatisfactionReport,
    SurveyEmail,
    SurveyFollowUp,
    TicketSurvey,
)
