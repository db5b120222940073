"""When a survey may be answered, and when an answer may still be changed."""

from datetime import datetime
from enum import StrEnum

from django.conf import settings

from feedback.surveys.models import RelationshipSurvey, TicketSurvey
from helpdesk.models import Status
from statusfeed.presenters import local_display

DONE = (Status.RESOLVED, Status.CLOSED)


class Window(StrEnum):
    WAITING = "waiting"  # not offered yet: the ticket is not resolved, or the delay runs
    OPEN = "open"  # offered, not answered
    EDITABLE = "editable"  # answered, and the answer may still change
    ANSWERED = "answered"  # answered, for good
    EXPIRED = "expired"  # offered, never answered, and closed now

    @property
    def takes_answers(self) -> bool:
        return self in (Window.OPEN, Window.EDITABLE)


class SurveyClosed(ValueError):
    """The survey takes no answer now; the message says why, for the person answering."""


def _answer_window(answered_at: datetime, now: datetime) -> Window:
    return Window.EDITABLE if now < edit_until(answered_at) else Window.ANSWERED


def edit_until(answered_at: datetime) -> datetime:
    return answered_at + settings.SURVEY_EDIT_WINDOW


def ticket_survey_window(survey: TicketSurvey, *, ticket_status: str, now: datetime) -> Window:
    if survey.answered_at is not None:
        return _answer_window(survey.answered_at, now)
    if ticket_status not in DONE or survey.offer_at is None or now < survey.offer_at:
        return Window.WAITING
    return Window.OPEN if now < survey.offer_at + settings.SURVEY_OPEN_FOR else Window.EXPIRED


def nps_window(survey: RelationshipSurvey, *, now: datetime) -> Window:
    if survey.answered_at is not None:
        return _answer_window(survey.answered_at, now)
    return Window.OPEN if now < survey.created_at + settings.SURVEY_OPEN_FOR else Window.EXPIRED


def edit_until_display(answered_at: datetime | None) -> str:
    if answered_at is None:
        return ""
    return local_display(edit_until(answered_at).isoformat(), settings.TIME_ZONE)


def refusal(window: Window, *, answered_at: datetime | None) -> str:
    """Why a survey in this window takes no answer."""
    if window == Window.WAITING:
        return "This survey opens once your request is resolved."
    if window == Window.EXPIRED:
        return "This survey has closed. Thank you all the same."
    until = edit_until_display(answered_at)
    return f"Thank you: we have your answer. It could be changed until {until}."


def check_takes_answers(window: Window, *, answered_at: datetime | None) -> None:
    if not window.takes_answers:
        raise SurveyClosed(refusal(window, answered_at=answered_at))
