"""Tiers, categories and the SLA policies that give tickets their targets."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models

from helpdesk.models.teams import Contact, Team


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Category(models.Model):
    """A kind of feedback, with the team that owns it and the tier it starts at."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="categories")
    default_priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for one tier, optionally narrowed to a category or a customer.

    The most specific policy that sets a target wins: customer, then category (each for the
    tier before all tiers), then the tier's base policy, which must set every target. Each
    edit bumps `version` and is re-applied to open tickets, whose clocks are then recomputed
    from their own timeline.
    """

    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Blank on a category or customer policy: it applies to every tier.",
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    first_response = models.DurationField(null=True, blank=True)
    first_response_24x7 = models.BooleanField(default=False)
    update_interval = models.DurationField(null=True, blank=True)
    update_24x7 = models.BooleanField(default=False)
    resolution = models.DurationField(null=True, blank=True)
    resolution_24x7 = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "category", "contact"],
                nulls_distinct=False,
                name="one_sla_policy_per_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(category__isnull=True) | models.Q(contact__isnull=True),
                name="sla_policy_has_one_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.contact or self.category or "base"
        return f"{self.get_priority_display() or 'Any tier'} / {scope} (v{self.version})"

    @property
    def is_base(self) -> bool:
        return self.category_id is None and self.contact_id is None

    def clean(self) -> None:
        if self.category_id and self.contact_id:
            raise ValidationError("A policy narrows to a category or to a customer, not both.")
        if self.is_base and not self.priority:
            raise ValidationError(
                {"priority": "A base policy (no category, no customer) needs a tier."}
            )
        missing = [
            name
            for name in ("first_response", "update_interval", "resolution")
            if getattr(self, name) is None
        ]
        if self.is_base and missing:
            raise ValidationError(
                {name: "A tier's base policy must set every target." for name in missing}
            )
        for name in ("first_response", "update_interval", "resolution"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValidationError({name: "Targets must be longer than zero."})
