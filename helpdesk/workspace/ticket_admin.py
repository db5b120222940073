"""The ticket admin agents live in: queues, SLA badges, bulk actions and the ticket page.

Tickets are never saved by the admin itself: every change goes through the service that owns
it, so the timeline, the SLA clocks and the public events stay true. Who may see and do what
is decided by helpdesk.access, as for the API.
"""

from html import escape

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, ForeignKey, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from helpdesk import access
from helpdesk.models import OPEN_STATUSES, Agent, Attachment, Status, Team, Ticket
from helpdesk.services.assignment import ticket_assign, ticket_take
from helpdesk.services.attachments import AttachmentRefused, attachments_check
from helpdesk.services.tickets import (
    ticket_change_category,
    ticket_change_priority,
    ticket_change_status,
    ticket_change_team,
    ticket_create,
    ticket_merge,
    ticket_reply,
    ticket_rotate_public_token,
)
from helpdesk.workspace.badges import ticket_badges
from helpdesk.workspace.fieldsets import fieldsets_html
from helpdesk.workspace.forms import (
    ListedModelChoiceField,
    ReplyForm,
    TicketActionForm,
    TicketAddForm,
    TicketChangeForm,
    stale_message,
)
from helpdesk.workspace.macros import macro_render, macros_for
from helpdesk.workspace.queues import QUEUES, count_label, queue_counts, queue_filter
from helpdesk.workspace.rows import result_table
from helpdesk.workspace.site import LazyAppListSite
from helpdesk.workspace.timeline import ticket_timeline, timeline_html
from helpdesk.workspace.widgets import flatten_widgets, row_checkbox
from statusfeed.presenters import local_display
from statusfeed.services import ticket_link_public_issue

# Form field, the service that applies a change to it, and the service's argument. Team comes
# before assignee, since the new owner must be in the ticket's new team.
TICKET_CHANGES = (
    ("category", ticket_change_category, "category"),
    ("team", ticket_change_team, "team"),
    ("priority", ticket_change_priority, "priority"),
    ("assignee", ticket_assign, "agent"),
    ("status", ticket_change_status, "status"),
)
TICKET_STORY_FIELDS = ("subject", "description", "requester", "audience", "channel")
TICKET_WORK_FIELDS = ("status", "priority", "category", "team", "assignee", "seen_version")
COUNT_LIMIT = 1_000
# What a queue row reads (list_display, and the SLA column's clocks); team and owner by id.
QUEUE_ROW_FIELDS = ("subject", "priority", "status", "team", "assignee", "requester", "sla_state")
TIMELINE_LIMIT = 100  # newest first; the page links to the whole story

URGENT_FIRST = F("sla_due").asc(nulls_last=True)


def grants(request: HttpRequest) -> access.Grants:
    """What helpdesk.access grants the request's user, read once per request."""
    if not hasattr(request, "_helpdesk_grants"):
        request._helpdesk_grants = access.grants_for(request.user)
    return request._helpdesk_grants


def request_agents(request: HttpRequest) -> dict[int, Agent]:
    """Every agent with their user, by id, read once per request: the action bar offers them,
    the queue rows show their owners from them and "My tickets" finds the viewer among them."""
    if not hasattr(request, "_helpdesk_agents"):
        agents = Agent.objects.select_related("user").order_by("user__username")
        request._helpdesk_agents = {agent.pk: agent for agent in agents}
    return request._helpdesk_agents


def viewer_agent_id(request: HttpRequest) -> int | None:
    """The request user's agent id, or None for someone who is not an agent."""
    user_id = request.user.pk
    return next((a.pk for a in request_agents(request).values() if a.user_id == user_id), None)


def request_teams(request: HttpRequest) -> dict[int, Team]:
    """The teams whose tickets the user sees, with their calendars, by name, read once per
    request: the team filter offers them and the queue rows show them and their SLA badges."""
    if not hasattr(request, "_helpdesk_teams"):
        teams = Team.objects.select_related("calendar").order_by("name")
        if not grants(request).is_manager:
            teams = teams.filter(pk__in=sorted(grants(request).team_ids))
        request._helpdesk_teams = {team.pk: team for team in teams}
    return request._helpdesk_teams


class CappedPaginator(Paginator):
    """Counts at most COUNT_LIMIT rows: a queue never pays for a full COUNT(*)."""

    @cached_property
    def count(self) -> int:
        # No ORDER BY inside the count: only how many, up to the cap, from the filter's index.
        return self.object_list.order_by().values("pk")[:COUNT_LIMIT].count()


class TicketChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # The list joins only the requester (list_select_related): the rows take their team,
        # calendar and owner from the request's lists (get_results), as PostgreSQL took longer
        # to plan the ticket page's seven-table join than to run it. Dropped before the
        # filters, which would copy it with every query they derive.
        self.root_queryset = self.root_queryset.select_related(None)
        tickets = super().get_queryset(request, exclude_parameters).defer("description")
        # Queues are about work still to do: done tickets show when a status asks for them,
        # or when a search looks for one. A queue filters on status itself (said twice, the
        # condition would make PostgreSQL misjudge how many rows match and skip the index).
        if not {"status__exact", "queue"} & request.GET.keys() and not request.GET.get("q"):
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        return tickets

    def get_results(self, request):
        super().get_results(request)
        teams, agents = request_teams(request), request_agents(request)
        for ticket in self.result_list:
            if ticket.team_id in teams:
                ticket.team = teams[ticket.team_id]
            if ticket.assignee_id in agents:
                ticket.assignee = agents[ticket.assignee_id]

    def result_table(self) -> dict:
        return result_table(self)


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        counts = queue_counts(
            model_admin.get_queryset(request).select_related(None),  # counts join nothing
            agent_id=viewer_agent_id(request),
            now=timezone.now(),
        )
        return [(q.key, f"{q.label} ({count_label(counts[q.key])})") for q in QUEUES]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queue_filter(
            queryset, key=self.value(), agent_id=viewer_agent_id(request), now=timezone.now()
        )


class TeamFilter(admin.SimpleListFilter):
    """Per-team queues, offering only the teams the agent works."""

    title = "team"
    parameter_name = "team"

    def lookups(self, request, model_admin):
        return [(str(team.pk), team.name) for team in request_teams(request).values()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(team_id=int(self.value()))


class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "subject",
        "requester",
        "team",
        "assignee",
        "priority",
        "status",
        "sla",
    )
    list_display_links = ("reference",)
    list_select_related = ("requester",)  # team and owner: see TicketChangeList.get_results
    list_filter = (QueueFilter, TeamFilter, "status", "priority")
    list_per_page = 25
    search_fields = ("subject", "requester__email")
    # Most urgent first; tickets whose clocks are all paused or stopped (no due) last. The
    # explicit NULLS LAST is PostgreSQL's default, so the queue indexes still serve it.
    ordering = (URGENT_FIRST, "id")
    sortable_by = ("reference", "priority", "status", "sla")
    show_full_result_count = False
    paginator = CappedPaginator
    autocomplete_fields = ("requester",)
    action_form = TicketActionForm
    actions = [
        "take",
        "assign_to",
        "change_status",
        "change_priority",
        "link_public_issue",
        "merge",
    ]
    change_form_template = "admin/helpdesk/ticket/change_form.html"

    def __init__(self, model, admin_site):
        super().__init__(model, LazyAppListSite(admin_site))

    # --- permissions: helpdesk.access decides, for every view and action -----------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return grants(request).may_work

    def has_view_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return grants(request).may_work and (obj is None or grants(request).can_see(obj))

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return grants(request).may_work and (obj is None or grants(request).can_act(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return grants(request).may_work

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the timeline is the record; tickets are closed, not deleted

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        # Only the relations the ticket page shows (its form names the category and the owner
        # by id): PostgreSQL takes longer to plan each join more.
        return grants(request).tickets().select_related("team__calendar", "requester")

    def get_object(self, request, object_id, from_field=None):
        cache = request.__dict__.setdefault("_helpdesk_tickets", {})
        if object_id not in cache:
            cache[object_id] = super().get_object(request, object_id, from_field)
        if cache[object_id] is None:
            # Another team's ticket looks exactly like one that does not exist.
            raise Http404("No ticket here.")
        return cache[object_id]

    # --- the queue ---------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return TicketChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The rows read only the columns they show: a ticket row has thirty, most of them
        # times that cost more to load than the page draws. The actions get every column.
        shown = queryset.only(*QUEUE_ROW_FIELDS)
        return super().get_paginator(request, shown, per_page, orphans, allow_empty_first_page)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        action_form = getattr(response, "context_data", {}).get("action_form")
        if action_form is not None:
            action_form.offer(agents=request_agents(request).values())
        return response

    def action_checkbox(self, ticket: Ticket) -> str:
        return row_checkbox(ticket.pk, str(ticket))

    @admin.display(description="Reference", ordering="id")
    def reference(self, ticket: Ticket) -> str:
        return ticket.reference

    @admin.display(description="SLA", ordering=URGENT_FIRST)
    def sla(self, ticket: Ticket):
        badges = ticket_badges(ticket, now=timezone.now())
        if not badges:
            return "—"
        return mark_safe(  # every part is escaped (html.escape: Django's, minus its lazy check)
            " ".join(
                f'<span class="sla sla-{escape(b.tone)}" title="{escape(b.label)} due '
                f'{escape(b.due.isoformat() if b.due else "")}">'
                f"{escape(b.label)}: {escape(b.text)}</span>"
                for b in badges
            )
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.upper().startswith(Ticket.REFERENCE_PREFIX):
            return queryset.filter(pk=Ticket.pk_from_reference(term) or 0), False
        return super().get_search_results(request, queryset, search_term)

    # --- the ticket page ---------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = (
                "subject",
                "description",
                "category",
                "priority",
                "team",
                "requester",
                "audience",
                "channel",
            )
            return [(None, {"fields": fields})]
        return [
            ("Work", {"fields": TICKET_WORK_FIELDS}),
            ("Request", {"fields": TICKET_STORY_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return TICKET_STORY_FIELDS if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TicketChangeForm if obj else TicketAddForm
        if obj:
            kwargs["fields"] = [f for f in TICKET_WORK_FIELDS if f != "seen_version"]
        form = super().get_form(request, obj, change=change, **kwargs)
        flatten_widgets(form.base_fields.values())
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if not isinstance(db_field, ForeignKey):
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        # As the admin wraps a foreign key, but with no add/edit/delete shortcuts to teams or
        # categories from a ticket: settings are changed in their own pages, by those allowed
        # to. So the related admins are not asked for the user's permissions (a query).
        formfield = self.formfield_for_foreignkey(db_field, request, **kwargs)
        formfield.widget = RelatedFieldWidgetWrapper(
            formfield.widget,
            db_field.remote_field,
            self.admin_site,
            can_add_related=False,
            can_change_related=False,
            can_delete_related=False,
            can_view_related=False,
        )
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = Agent.objects.select_related("user").order_by("user__username")
        kwargs.setdefault("form_class", ListedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        context = {**(extra_context or {}), **self.ticket_page_context(request, ticket)}
        return super().change_view(request, object_id, form_url, extra_context=context)

    def ticket_page_context(self, request: HttpRequest, ticket: Ticket) -> dict:
        now = timezone.now()
        zone = ticket.team.calendar.timezone
        everything = request.GET.get("timeline") == "all"
        timeline = ticket_timeline(ticket, limit=None if everything else TIMELINE_LIMIT)
        macros = list(macros_for(ticket))
        chosen = next((m for m in macros if str(m.pk) == request.GET.get("macro")), None)
        agent_name = request.user.get_full_name() or request.user.get_username()
        reply_form = ReplyForm(
            initial={
                "body": macro_render(
                    chosen,
                    ticket=ticket,
                    agent_name=agent_name,
                    zone_format=lambda dt: local_display(dt.isoformat() if dt else None, zone),
                )
                if chosen
                else "",
                "visibility": "public" if chosen is None or chosen.public else "internal",
            }
        )
        others = []
        if ticket.requester_id:
            others = list(
                grants(request)
                .tickets()
                .filter(requester_id=ticket.requester_id)
                .exclude(pk=ticket.pk)
                .only("id", "subject", "status", "created_at")
                .order_by("-created_at")[:10]
            )
        return {
            "ticket": ticket,
            "timeline": timeline,
            "timeline_html": timeline_html(
                timeline,
                requester=ticket.requester,
                file_url=lambda file_id: reverse(
                    "admin:helpdesk_ticket_attachment", args=[ticket.pk, file_id]
                ),
            ),
            "timeline_cut": not everything and len(timeline) == TIMELINE_LIMIT,
            "badges": ticket_badges(ticket, now=now),
            "sla_clocks": (ticket.sla_state or {}).get("clocks", {}),
            "macros": macros,
            "reply_form": reply_form,
            "other_tickets": others,
            "zone": zone,
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["ticket_fieldsets"] = fieldsets_html(context["adminform"])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj: Ticket, form, change: bool) -> None:
        if not change:
            ticket, token = ticket_create(
                subject=obj.subject,
                description=obj.description,
                category=obj.category,
                requester=obj.requester,
                priority=obj.priority or None,
                team=obj.team if obj.team_id else None,
                audience=obj.audience,
                channel=obj.channel,
                actor=request.user,
            )
            obj.pk = ticket.pk
            link = request.build_absolute_uri(reverse("statusfeed:progress", args=[token]))
            messages.info(request, f"Progress link for the requester (shown only now): {link}")
            return
        # The admin's view runs in one transaction: holding the row from here to commit means
        # nobody can slip a change in between the version check and ours.
        stored = Ticket.objects.select_for_update().get(pk=obj.pk)
        if stored.version != form.cleaned_data["seen_version"]:
            messages.error(request, stale_message(obj))
            request._ticket_not_saved = True
            return
        for name, service, argument in TICKET_CHANGES:
            attname = Ticket._meta.get_field(name).attname
            if name not in form.changed_data or getattr(stored, attname) == getattr(obj, attname):
                continue
            try:
                service(ticket=obj, actor=request.user, **{argument: form.cleaned_data[name]})
            except ValueError as exc:  # InvalidTransition, AssignmentError
                messages.error(request, f"{obj.reference}: {exc}")
                request._ticket_not_saved = True
                return

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited through the ticket form."""

    def log_change(self, request, obj, message):
        if not getattr(request, "_ticket_not_saved", False):
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request: HttpRequest, obj: Ticket) -> HttpResponse:
        if getattr(request, "_ticket_not_saved", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # --- ticket page actions: reply, rotate the progress link, download a file -----------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/reply/", wrap(self.reply_view), name="helpdesk_ticket_reply"),
            path(
                "<int:pk>/rotate-link/",
                wrap(self.rotate_link_view),
                name="helpdesk_ticket_rotate_link",
            ),
            path(
                "<int:pk>/files/<int:attachment_id>/",
                wrap(self.attachment_view),
                name="helpdesk_ticket_attachment",
            ),
            *super().get_urls(),
        ]

    def _ticket_for_action(self, request: HttpRequest, pk: int) -> Ticket:
        ticket = get_object_or_404(self.get_queryset(request), pk=pk)
        if not grants(request).can_act(ticket):
            raise Http404("No ticket here.")
        return ticket

    def _change_url(self, ticket: Ticket) -> str:
        return reverse("admin:helpdesk_ticket_change", args=[ticket.pk])

    def reply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self._ticket_for_action(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(ticket))
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                files = attachments_check(form.cleaned_data["files"])
                ticket_reply(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    public=form.is_public,
                    author=request.user,
                    files=files,
                )
            except (AttachmentRefused, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                sent = "Reply sent to the customer" if form.is_public else "Internal note added"
                messages.success(request, f"{sent} on {ticket.reference}.")
                return HttpResponseRedirect(self._change_url(ticket) + "#timeline")
        request.method = "GET"  # show the ticket page again, with the form and its errors
        return self.change_view(request, str(ticket.pk), extra_context={"reply_form_bound": form})

    def rotate_link_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self._ticket_for_action(request, pk)
        return require_POST(self._rotate)(request, ticket)

    def _rotate(self, request: HttpRequest, ticket: Ticket) -> HttpResponse:
        token = ticket_rotate_public_token(ticket=ticket, actor=request.user)
        link = request.build_absolute_uri(reverse("statusfeed:progress", args=[token]))
        messages.warning(
            request,
            f"The old progress link of {ticket.reference} no longer works. "
            f"Send the requester the new one (shown only now): {link}",
        )
        return HttpResponseRedirect(self._change_url(ticket))

    def attachment_view(self, request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
        ticket = get_object_or_404(self.get_queryset(request), pk=pk)
        attachment = get_object_or_404(
            Attachment.objects.select_related("message"), pk=attachment_id, message__ticket=ticket
        )
        response = FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
        )
        response["Content-Type"] = attachment.content_type
        response["X-Content-Type-Options"] = "nosniff"
        return response

    # --- bulk actions, through the same services as the API ------------------------------

    def _each(self, request, queryset, apply, done: str) -> None:
        changed = []
        for ticket in queryset.select_related("team__calendar"):
            try:
                with transaction.atomic():
                    if apply(ticket) is not False:
                        changed.append(ticket.reference)
            except ValueError as exc:
                messages.error(request, f"{ticket.reference}: {exc}")
        if changed:
            messages.success(request, f"{done}: {', '.join(changed)}.")

    def _action_value(self, request, name: str, what: str):
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        value = form.cleaned_data.get(name) if form.is_valid() else None
        if not value:
            messages.error(request, f"Choose {what} next to the action first.")
        return value

    @admin.action(description="Take it")
    def take(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        agent = access.agent_of(request.user)
        if agent is None:
            messages.error(request, "Only agents can take tickets.")
            return

        def take_one(ticket):
            if not ticket_take(ticket=ticket, agent=agent):
                raise ValueError("it has an owner or is done")

        self._each(request, queryset, take_one, "You took")

    @admin.action(description="Assign to the chosen agent")
    def assign_to(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        agent = self._action_value(request, "agent", "an agent")
        if agent:
            self._each(
                request,
                queryset,
                lambda t: ticket_assign(ticket=t, agent=agent, actor=request.user),
                f"Assigned to {agent}",
            )

    @admin.action(description="Change status to the chosen one")
    def change_status(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        status = self._action_value(request, "status", "a status")
        if status:
            label = Status(status).label
            self._each(
                request,
                queryset,
                lambda t: ticket_change_status(ticket=t, status=status, actor=request.user),
                f"Now {label}",
            )

    @admin.action(description="Change priority to the chosen one")
    def change_priority(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        priority = self._action_value(request, "priority", "a priority")
        if priority:
            self._each(
                request,
                queryset,
                lambda t: ticket_change_priority(ticket=t, priority=priority, actor=request.user),
                f"Priority {priority}",
            )

    @admin.action(description="Link to the chosen public issue")
    def link_public_issue(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        issue = self._action_value(request, "public_issue", "a public issue")
        if issue:
            self._each(
                request,
                queryset,
                lambda t: ticket_link_public_issue(ticket=t, issue=issue),
                f"Linked to “{issue.title}”",
            )

    @admin.action(description="Merge into the oldest selected ticket")
    def merge(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        tickets = list(queryset.order_by("created_at", "pk"))
        if len(tickets) < 2:
            messages.error(request, "Select at least two tickets to merge.")
            return
        survivor, duplicates = tickets[0], tickets[1:]
        self._each(
            request,
            queryset.filter(pk__in=[t.pk for t in duplicates]),
            lambda t: ticket_merge(ticket=t, into=survivor, actor=request.user),
            f"Merged into {survivor.reference}",
        )
