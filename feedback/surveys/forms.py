"""The survey's questions (short: one rating, one effort score, one open question), the NPS
question, and the Satisfaction Index's filters (read the same way by the page and the API)."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from feedback.models import Touchpoint
from feedback.surveys.metrics import CES_SCALE, CSAT_SCALE, NPS_SCALE
from feedback.surveys.models import RelationshipSurvey, TicketSurvey
from feedback.surveys.report import GROUPS, INTERVALS, NO_TOUCHPOINT, SatisfactionQuery
from feedback.surveys.services import TicketSurveyAnswer
from helpdesk.models import Audience, Category, Team

COMMENT_MAX = 2000
# The progress page has a reply form too: the survey's fields get their own names and ids.
PAGE_PREFIX = "survey"


def _scale(values: range, low: str, high: str) -> list[tuple[int, str]]:
    first, last = values[0], values[-1]
    return [
        (n, f"{n} · {low}" if n == first else f"{n} · {high}" if n == last else str(n))
        for n in values
    ]


def _comment_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        strip=True,
        label="What is the main reason for your answer? (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TicketSurveyForm(forms.Form):
    csat = forms.TypedChoiceField(
        label="How satisfied are you with how we handled your request?",
        choices=_scale(CSAT_SCALE, "very dissatisfied", "very satisfied"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose how satisfied you are, from 1 to 5."},
    )
    ces = forms.TypedChoiceField(
        label="How easy was it to get it resolved? (optional)",
        choices=_scale(CES_SCALE, "very difficult", "very easy"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = _comment_field()

    def answer(self) -> TicketSurveyAnswer:
        data = self.cleaned_data
        return TicketSurveyAnswer(csat=data["csat"], ces=data["ces"], comment=data["comment"])

    @staticmethod
    def initial_for(survey: TicketSurvey) -> dict:
        return {"csat": survey.csat, "ces": survey.ces, "comment": survey.comment}


class NpsForm(forms.Form):
    score = forms.TypedChoiceField(
        label="How likely are you to recommend us to a friend or colleague?",
        choices=_scale(NPS_SCALE, "not at all likely", "extremely likely"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose a score from 0 to 10."},
    )
    comment = _comment_field()

    @staticmethod
    def initial_for(survey: RelationshipSurvey) -> dict:
        return {"score": survey.score, "comment": survey.comment}


def preselected(value: str | None, scale: range) -> int | None:
    """A rating clicked in the email: it only preselects (a GET never records an answer)."""
    return int(value) if value and value.isdigit() and int(value) in scale else None


DEFAULT_DAYS = 90
FIRST_YEAR, LAST_YEAR = 2000, 2999
DATE = {"type": "date"}


class SatisfactionForm(forms.Form):
    # "from" is a Python keyword, so the two dates are added in __init__ under their names.
    group_by = forms.ChoiceField(choices=list(GROUPS.items()), label="Group by")
    interval = forms.ChoiceField(choices=list(INTERVALS.items()), label="Trend by")
    team = forms.ModelChoiceField(
        Team.objects.order_by("name"), required=False, empty_label="Every team"
    )
    category = forms.ModelChoiceField(
        Category.objects.order_by("name"), required=False, empty_label="Every category"
    )
    touchpoint = forms.ChoiceField(
        choices=[("", "Every touchpoint"), (NO_TOUCHPOINT, "None recorded"), *Touchpoint.choices],
        required=False,
    )
    audience = forms.ChoiceField(choices=[("", "Everyone"), *Audience.choices], required=False)

    def __init__(self, data=None, **kwargs) -> None:
        today = timezone.localdate()
        defaults = {
            "from": today - timedelta(days=DEFAULT_DAYS - 1),
            "to": today,
            "group_by": "team",
            "interval": "week",
        }
        if data is not None:
            # A filter left out means its default, and the page shows the value in force.
            data = {**defaults, **{key: value for key, value in data.items() if value != ""}}
        super().__init__(data, **kwargs)
        self.fields = {
            "from": forms.DateField(
                label="From",
                initial=defaults["from"],
                widget=forms.DateInput(format="%Y-%m-%d", attrs=DATE),
            ),
            "to": forms.DateField(
                label="To",
                initial=defaults["to"],
                widget=forms.DateInput(format="%Y-%m-%d", attrs=DATE),
            ),
            **self.fields,
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            raise forms.ValidationError("The period must not end before it starts.")
        if start and end and not (start.year >= FIRST_YEAR and end.year <= LAST_YEAR):
            raise forms.ValidationError(f"Dates run from {FIRST_YEAR} to {LAST_YEAR}.")
        if start and end and (end - start).days > 3 * 366:
            raise forms.ValidationError("The period may be at most three years long.")
        return cleaned

    def satisfaction_query(self) -> SatisfactionQuery:
        data = self.cleaned_data
        return SatisfactionQuery(
            start=data["from"],
            end=data["to"],
            group_by=data["group_by"],
            interval=data["interval"],
            team_id=data["team"].pk if data["team"] else None,
            category_id=data["category"].pk if data["category"] else None,
            touchpoint=data["touchpoint"] or "",
            audience=data["audience"] or "",
        )
