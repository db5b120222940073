"""Which answers a Satisfaction report is about, how they are grouped and drilled into."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

GROUPS = {
    "overall": "Overall",
    "team": "Team",
    "category": "Category",
    "touchpoint": "Touchpoint",
    "audience": "Audience",
}
DIMENSIONS = ("team", "category", "touchpoint", "audience")
INTERVALS = {"week": "Week", "month": "Month"}
NO_TOUCHPOINT = "none"  # the filter value for answers without a touchpoint


@dataclass(frozen=True)
class SatisfactionQuery:
    """Answers from `start` to `end` (local dates, both included), grouped one way, trended
    by week or month, optionally narrowed to one team, category, touchpoint and audience."""

    start: date
    end: date
    group_by: str = "team"
    interval: str = "week"
    team_id: int | None = None
    category_id: int | None = None
    touchpoint: str = ""  # "" any, NO_TOUCHPOINT for none recorded
    audience: str = ""

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time(), tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz),
        )

    def filters(self) -> dict[str, object]:
        """The dimensions this query is narrowed to, and their values."""
        touchpoint = "" if self.touchpoint == NO_TOUCHPOINT else self.touchpoint or None
        values = {
            "team": self.team_id,
            "category": self.category_id,
            "touchpoint": touchpoint,
            "audience": self.audience or None,
        }
        return {name: value for name, value in values.items() if value is not None}

    def drill_down(self, key: object) -> dict[str, object] | None:
        """The parameters of a group's own breakdown: narrowed to it, grouped by the next
        dimension (team → category → touchpoint → audience → team) not narrowed yet."""
        if self.group_by == "overall":
            return {**self._params(self.filters()), "group_by": "team"}
        narrowed = {**self.filters(), self.group_by: key}
        start = DIMENSIONS.index(self.group_by) + 1
        following = [*DIMENSIONS[start:], *DIMENSIONS[:start]]
        after = next((d for d in following if d not in narrowed), None)
        if after is None:
            return None
        return {**self._params(narrowed), "group_by": after}

    @staticmethod
    def _params(filters: dict[str, object]) -> dict[str, object]:
        if filters.get("touchpoint") == "":
            return {**filters, "touchpoint": NO_TOUCHPOINT}
        return filters
