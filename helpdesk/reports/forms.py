"""The report's filters, read the same way by the admin page and the API."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from helpdesk.models import Audience
from helpdesk.reports.columns import GROUPS
from helpdesk.reports.query import ReportQuery

DEFAULT_DAYS = 30
DATE = {"type": "date"}


class ReportForm(forms.Form):
    # "from" is a Python keyword, so the two dates are added in __init__ under their names.
    group_by = forms.ChoiceField(choices=list(GROUPS.items()), label="Group by")
    audience = forms.ChoiceField(
        choices=[("", "Everyone"), *Audience.choices], required=False, label="Audience"
    )
    within = forms.IntegerField(
        min_value=1, max_value=24 * 60, label="Quick pause within (minutes)"
    )
    repeats = forms.IntegerField(min_value=2, max_value=100, label="Repeated from pause no.")

    def __init__(self, data=None, **kwargs) -> None:
        today = timezone.localdate()
        defaults = {
            "from": today - timedelta(days=DEFAULT_DAYS - 1),
            "to": today,
            "group_by": "team",
            "within": 15,
            "repeats": 3,
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
        return cleaned

    def report_query(self) -> ReportQuery:
        data = self.cleaned_data
        return ReportQuery(
            start=data["from"],
            end=data["to"],
            group_by=data["group_by"],
            audience=data["audience"] or "",
        )
