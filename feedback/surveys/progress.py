"""The survey block of a ticket's progress page (statusfeed renders the page)."""

from django.utils import timezone

from feedback.surveys.forms import PAGE_PREFIX, TicketSurveyForm
from feedback.surveys.models import TicketSurvey
from feedback.surveys.windows import DONE, Window, edit_until_display, ticket_survey_window
from helpdesk.models import Ticket


def progress_survey_context(ticket: Ticket, *, form: TicketSurveyForm | None = None) -> dict | None:
    """What the block shows (one query once the ticket is done), or None while there is
    nothing to show (a reopened ticket's answer included: its survey is withdrawn).

    `form` is a submitted form with its errors: it is shown whatever the survey's window.
    """
    if form is None and ticket.status not in DONE:
        return None  # most views of a page: no survey yet, and no query to find that out
    survey = TicketSurvey.objects.filter(ticket_id=ticket.pk).first()
    window = (
        ticket_survey_window(survey, ticket_status=ticket.status, now=timezone.now())
        if survey is not None
        else Window.WAITING
    )
    if form is None:
        if not window.takes_answers and window != Window.ANSWERED:
            return None
        if window.takes_answers:
            form = TicketSurveyForm(
                initial=TicketSurveyForm.initial_for(survey), prefix=PAGE_PREFIX
            )
    return {
        "form": form,
        "window": str(window),
        "answered": survey is not None and survey.answered_at is not None,
        "edit_until": edit_until_display(survey.answered_at) if survey else "",
    }
