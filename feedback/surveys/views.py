"""The survey on the public side: the emailed signed links (no login) and the survey block of
a ticket's progress page. Thin: answers are recorded by feedback.surveys.services."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from feedback.surveys.forms import NpsForm, TicketSurveyForm, preselected
from feedback.surveys.links import (
    LinkExpired,
    LinkInvalid,
    nps_survey_for_token,
    ticket_survey_for_token,
)
from feedback.surveys.metrics import CSAT_SCALE, NPS_SCALE
from feedback.surveys.models import AnsweredVia
from feedback.surveys.services import nps_answer, ticket_survey_answer
from feedback.surveys.windows import (
    SurveyClosed,
    edit_until_display,
    nps_window,
    refusal,
    ticket_survey_window,
)
from statusfeed.views import capability, public


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"  # the page is a capability
    return response


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return _render(
        request,
        "feedback/surveys/link_problem.html",
        {"expired": expired},
        status=410 if expired else 400,
    )


@capability
@public
@require_http_methods(["GET", "POST"])
def ticket_survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed survey of one ticket: GET shows it (a rating clicked in the email only
    preselects), POST records or changes the one answer."""
    try:
        survey = ticket_survey_for_token(token)
    except LinkExpired:
        return _link_problem(request, expired=True)
    except LinkInvalid:
        return _link_problem(request, expired=False)
    if survey is None:
        raise Http404("No such survey.")
    status, form = 200, None
    if request.method == "POST":
        form = TicketSurveyForm(request.POST)
        if form.is_valid():
            try:
                ticket_survey_answer(survey=survey, answer=form.answer(), via=AnsweredVia.EMAIL)
                return redirect(request.path)
            except SurveyClosed as exc:
                form.add_error(None, str(exc))
                status = 409
        else:
            status = 400
    survey.refresh_from_db()
    window = ticket_survey_window(survey, ticket_status=survey.ticket.status, now=timezone.now())
    if form is None and window.takes_answers:
        initial = TicketSurveyForm.initial_for(survey)
        initial["csat"] = preselected(request.GET.get("csat"), CSAT_SCALE) or initial["csat"]
        form = TicketSurveyForm(initial=initial)
    context = {
        "ticket": survey.ticket,
        "survey": survey,
        "window": str(window),
        "form": form,
        "closed": "" if window.takes_answers else refusal(window, answered_at=survey.answered_at),
        "edit_until": edit_until_display(survey.answered_at),
    }
    return _render(request, "feedback/surveys/ticket_survey.html", context, status)


@capability
@public
@require_http_methods(["GET", "POST"])
def nps_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = nps_survey_for_token(token)
    except LinkExpired:
        return _link_problem(request, expired=True)
    except LinkInvalid:
        return _link_problem(request, expired=False)
    if survey is None:
        raise Http404("No such survey.")
    status, form = 200, None
    if request.method == "POST":
        form = NpsForm(request.POST)
        if form.is_valid():
            try:
                nps_answer(
                    survey=survey,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
                return redirect(request.path)
            except SurveyClosed as exc:
                form.add_error(None, str(exc))
                status = 409
        else:
            status = 400
    survey.refresh_from_db()
    window = nps_window(survey, now=timezone.now())
    if form is None and window.takes_answers:
        initial = NpsForm.initial_for(survey)
        clicked = preselected(request.GET.get("score"), NPS_SCALE)
        initial["score"] = initial["score"] if clicked is None else clicked
        form = NpsForm(initial=initial)
    context = {
        "survey": survey,
        "window": str(window),
        "form": form,
        "closed": "" if window.takes_answers else refusal(window, answered_at=survey.answered_at),
        "edit_until": edit_until_display(survey.answered_at),
    }
    return _render(request, "feedback/surveys/nps.html", context, status)
