"""Canned replies agents insert with one click; placeholders are filled from the ticket."""

from django.db import models

from helpdesk.models.teams import Team


class Macro(models.Model):
    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text="Blank: every team may use it.",
    )
    body = models.TextField(
        help_text="Placeholders: {requester_name}, {reference}, {subject}, {agent_name}, "
        "{team}, {next_update_due}, {resolution_due}."
    )
    public = models.BooleanField(default=True, help_text="Sent as a public reply by default.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="macro_unique_name_per_team")
        ]

    def __str__(self) -> str:
        return self.name
