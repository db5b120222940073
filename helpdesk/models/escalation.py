"""What happens as a ticket's SLA clocks near and pass their targets: escalation and holding
updates, set per team and/or tier."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from helpdesk.models.sla_policies import Priority
from helpdesk.models.teams import Team


class EscalationPolicy(models.Model):
    """The steps a team (or every team) takes for a tier (or every tier).

    The most specific policy wins: team and tier, then team, then tier, then the default.
    """

    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_policies",
        help_text="Blank: every team without a policy of its own.",
    )
    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        blank=True,
        help_text="Blank: every tier.",
    )
    holding_updates = models.BooleanField(
        default=False,
        help_text=(
            "When the public update cadence would be missed, post a holding update "
            "(“Still working on it; next update by …”) at the last warning."
        ),
    )

    class Meta:
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "priority"],
                nulls_distinct=False,
                name="one_escalation_policy_per_scope",
            )
        ]

    def __str__(self) -> str:
        team = self.team or "Every team"
        return f"{team} / {self.get_priority_display() or 'every tier'}"


class EscalationStep(models.Model):
    """One level of a policy: fires once per clock cycle when the clock reaches `at_percent`."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    at_percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of the target used when this step fires; 100 is the breach.",
    )
    notify_assignee = models.BooleanField(
        default=True, help_text="Email the assignee (the team lead while nobody owns it)."
    )
    notify_team_lead = models.BooleanField(default=False)
    raise_priority = models.BooleanField(
        default=False, help_text="Move the ticket one tier up (new targets apply)."
    )
    reassign_to = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Move the ticket to this escalation team.",
    )

    class Meta:
        ordering = ["at_percent", "pk"]

    def __str__(self) -> str:
        return f"at {self.at_percent}%"

    @property
    def is_breach(self) -> bool:
        return self.at_percent >= 100
