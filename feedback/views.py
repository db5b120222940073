"""The public feedback form (works without JavaScript) and the widget's demo page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from feedback.api import FeedbackThrottle
from feedback.forms import FeedbackForm
from feedback.services import Receipt, feedback_submit, progress_path
from statusfeed.presenters import local_display


def _thanks(request: HttpRequest, receipt: Receipt | None, *, emailed: bool) -> HttpResponse:
    context: dict = {"receipt": receipt, "emailed": emailed}
    if receipt is not None:
        sla = receipt.summary()["sla"]
        zone = receipt.ticket.team.calendar.timezone
        context.update(
            reference=receipt.ticket.reference,
            first_response_due=local_display(sla["first_response_due"], zone),
            resolution_due=local_display(sla["resolution_due"], zone),
        )
        if receipt.token:
            context["progress_url"] = request.build_absolute_uri(progress_path(receipt.token))
    response = render(request, "feedback/thanks.html", context)
    # The page carries a capability link: keep it out of caches and other sites' logs.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "feedback/form.html", {"form": FeedbackForm()})
    throttle = FeedbackThrottle()
    if not throttle.allow_request(request, None):
        response = render(request, "feedback/throttled.html", status=429)
        response["Retry-After"] = str(int(throttle.wait() or 60))
        return response
    form = FeedbackForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {"form": form, "files_dropped": bool(request.FILES)}
        return render(request, "feedback/form.html", context, status=400)
    if form.is_spam:
        return _thanks(request, None, emailed=False)
    intake = form.intake()
    receipt = feedback_submit(intake=intake, files=form.cleaned_data["files"])
    return _thanks(request, receipt, emailed=bool(intake.email))


@require_GET
def widget_demo(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/widget_demo.html")
