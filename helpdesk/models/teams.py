"""Teams, the agents in them, and the people who ask for help."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from helpdesk.models.calendars import Calendar


class AssignmentStrategy(models.TextChoices):
    LEAST_LOADED = "least_loaded", "Least loaded"
    ROUND_ROBIN = "round_robin", "Round robin"
    MANUAL = "manual", "Manual only"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="teams")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    assignment_strategy = models.CharField(
        max_length=20, choices=AssignmentStrategy.choices, default=AssignmentStrategy.LEAST_LOADED
    )
    # Round robin continues after the agent who got the previous ticket.
    last_assigned_agent = models.ForeignKey(
        "Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    capacity = models.PositiveIntegerField(
        default=20, help_text="Most open tickets auto-assignment gives this agent."
    )
    is_available = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Contact(models.Model):
    """Someone who asks for help: a customer, an employee or a candidate."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or self.email
