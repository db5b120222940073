"""Public pages: a ticket's progress page (capability link, no login) and the public board."""

from functools import wraps

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.surveys.forms import PAGE_PREFIX, TicketSurveyForm
from feedback.surveys.progress import progress_survey_context
from feedback.surveys.services import ticket_survey_answer_on_page
from feedback.surveys.windows import SurveyClosed
from helpdesk.models import Status
from helpdesk.services.notifications import ticket_for_unsubscribe_token
from helpdesk.services.tickets import ticket_customer_reply, ticket_set_subscription
from statusfeed.forms import CustomerReplyForm
from statusfeed.models import BOARD_STREAM, PublicIssue, PublicIssueUpdate
from statusfeed.presenters import event_title, issue_public_state, local_display
from statusfeed.selectors import (
    public_attachment,
    stream_seq,
    ticket_for_token,
    ticket_snapshot,
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def public(view):
    """Headers every public surface sends: not indexed, no referrer, a strict CSP."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = render(request, "statusfeed/not_found.html", status=404)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["X-Content-Type-Options"] = "nosniff"
        return response

    return wrapped


def capability(view):
    """A POST addressed by the secret progress token needs no CSRF token of its own.

    A forger would have to know the token, and whoever knows it may post anyway. Cookie-based
    CSRF would also break these forms: with `Referrer-Policy: no-referrer` browsers send
    `Origin: null`, which Django's origin check rightly refuses.
    """
    return csrf_exempt(view)


def _ticket_or_404(token: str):
    ticket = ticket_for_token(token)
    if ticket is None:
        raise Http404("No ticket has this link.")
    return ticket


def _progress_page(
    request: HttpRequest, ticket, *, form=None, survey_form=None, status=200
) -> HttpResponse:
    snapshot = ticket_snapshot(ticket)
    zone = ticket.team.calendar.timezone
    for name in ("created_at", "next_update_due", "eta"):
        snapshot[f"{name}_display"] = local_display(snapshot[name], zone)
    context = {
        "ticket": snapshot,
        "events": [
            {**e, "title": event_title(e), "at_display": local_display(e["at"], zone)}
            for e in reversed(snapshot["events"])
        ],
        "form": form or CustomerReplyForm(),
        "can_reply": ticket.status != Status.CLOSED,
        "token": request.resolver_match.kwargs["token"],
        "survey": progress_survey_context(ticket, form=survey_form),
    }
    response = render(request, "statusfeed/progress.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@public
@require_GET
def progress_page(request: HttpRequest, token: str) -> HttpResponse:
    return _progress_page(request, _ticket_or_404(token))


@public
@require_GET
def progress_json(request: HttpRequest, token: str) -> JsonResponse:
    snapshot = ticket_snapshot(_ticket_or_404(token))
    del snapshot["type"]
    response = JsonResponse(snapshot)
    response["Cache-Control"] = "no-store"
    return response


@capability
@public
@require_POST
def progress_reply(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket_or_404(token)
    form = CustomerReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _progress_page(request, ticket, form=form, status=400)
    try:
        ticket_customer_reply(
            ticket=ticket, body=form.cleaned_data["message"], files=form.cleaned_data["files"]
        )
    except ValueError as exc:
        form.add_error(None, str(exc))
        return _progress_page(request, ticket, form=form, status=409)
    return redirect(reverse("statusfeed:progress", args=[token]) + "#timeline")


@capability
@public
@require_POST
def progress_survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey offered on the page once the request is resolved (feedback.surveys)."""
    ticket = _ticket_or_404(token)
    form = TicketSurveyForm(request.POST, prefix=PAGE_PREFIX)
    if not form.is_valid():
        return _progress_page(request, ticket, survey_form=form, status=400)
    try:
        ticket_survey_answer_on_page(ticket=ticket, answer=form.answer())
    except SurveyClosed as exc:
        form.add_error(None, str(exc))
        return _progress_page(request, ticket, survey_form=form, status=409)
    return redirect(reverse("statusfeed:progress", args=[token]) + "#survey")


@capability
@public
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in every requester email: GET asks, POST (RFC 8058 one-click) acts.

    A GET never unsubscribes, so mail scanners that prefetch links change nothing.
    """
    ticket = ticket_for_unsubscribe_token(token)
    if ticket is None:
        raise Http404("No ticket has this link.")
    if request.method == "POST":
        ticket_set_subscription(ticket=ticket, subscribed=False)
    unsubscribed = request.method == "POST" or not ticket.requester_subscribed
    context = {"reference": ticket.reference, "unsubscribed": unsubscribed}
    return render(request, "statusfeed/unsubscribe.html", context)


@capability
@public
@require_POST
def progress_subscription(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket_or_404(token)
    ticket_set_subscription(ticket=ticket, subscribed=request.POST.get("subscribed") == "1")
    return redirect(reverse("statusfeed:progress", args=[token]))


@public
@require_GET
def progress_attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    """A file of a public message on this ticket; never an internal note's, never another's."""
    ticket = _ticket_or_404(token)
    attachment = public_attachment(ticket=ticket, attachment_id=attachment_id)
    if attachment is None:
        raise Http404("No such file on this request.")
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
    response["Content-Type"] = attachment.content_type
    response["Cache-Control"] = "private, no-store"
    return response


def _board_issues():
    updates = PublicIssueUpdate.objects.order_by("-created_at")
    return (
        PublicIssue.objects.filter(is_public=True)
        .prefetch_related(Prefetch("updates", queryset=updates))
        .order_by("-updated_at")[:50]
    )


@public
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    issues = list(_board_issues())
    context = {
        "seq": stream_seq(BOARD_STREAM),
        "open_issues": [i for i in issues if not i.is_closed],
        "closed_issues": [i for i in issues if i.is_closed],
    }
    return render(request, "statusfeed/board.html", context)


def _indicator(open_incidents: list[PublicIssue]) -> tuple[str, str]:
    statuses = {i.status for i in open_incidents}
    if statuses & {PublicIssue.Status.INVESTIGATING, PublicIssue.Status.IDENTIFIED}:
        return "major", "Some services are disrupted"
    if statuses:
        return "minor", "Recovering: we are monitoring a fix"
    return "none", "All systems operational"


@public
@require_GET
def summary(request: HttpRequest) -> JsonResponse:
    """A summary shaped like Statuspage's `summary.json`."""
    issues = list(_board_issues())
    board_url = request.build_absolute_uri(reverse("statusfeed:board"))

    def entry(issue: PublicIssue) -> dict:
        return {
            **issue_public_state(issue),
            "shortlink": f"{board_url}#issue-{issue.pk}",
            "updates": [
                {"status": u.status, "body": u.body, "created_at": u.created_at.isoformat()}
                for u in issue.updates.all()
            ],
        }

    incidents = [i for i in issues if i.kind == PublicIssue.Kind.INCIDENT and not i.is_closed]
    indicator, description = _indicator(incidents)
    return JsonResponse(
        {
            "page": {
                "name": "Helpdesk status",
                "url": board_url,
                "updated_at": issues[0].updated_at.isoformat() if issues else None,
            },
            "status": {"indicator": indicator, "description": description},
            "incidents": [entry(i) for i in incidents],
            "planned": [
                entry(i) for i in issues if i.kind == PublicIssue.Kind.REQUEST and not i.is_closed
            ],
        }
    )


class BoardFeed(Feed):
    feed_type = Atom1Feed
    title = "Helpdesk status"
    subtitle = "Updates on known issues and planned changes"

    def link(self):
        return reverse("statusfeed:board")

    def items(self):
        return (
            PublicIssueUpdate.objects.filter(issue__is_public=True)
            .select_related("issue")
            .order_by("-created_at")[:50]
        )

    def item_title(self, item: PublicIssueUpdate) -> str:
        return f"{item.issue.title}: {item.get_status_display()}"

    def item_description(self, item: PublicIssueUpdate) -> str:
        return item.body

    def item_link(self, item: PublicIssueUpdate) -> str:
        return reverse("statusfeed:board") + f"#issue-{item.issue_id}"

    def item_guid(self, item: PublicIssueUpdate) -> str:
        return f"issue-update-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: PublicIssueUpdate):
        return item.created_at

    def item_updateddate(self, item: PublicIssueUpdate):
        return item.created_at


board_feed = public(BoardFeed())
