"""What a report groups by, read from the report rows and from the rollups alike.

The rollups keep each group's key as text (`GroupRollup.group_key`): a team, category or
agent id, a priority or channel value, "" for no agent. The report rows give the same text
(`DIMENSION_KEYS`), so a day counts in the same group whether it is read rolled up or raw;
`Grouping.key` turns it back into the id or value the report labels. Weeks are added up from
the days of the "all" dimension.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import CharField, Expression, F, Value
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from helpdesk.reports.models import RollupDimension


def _text(field: str) -> Expression:
    return Cast(F(field), CharField())


# On report rows (TicketOutcome, SlaMeasure): each dimension's key as the rollups store it.
DIMENSION_KEYS: dict[str, Expression] = {
    RollupDimension.TEAM: _text("team_id"),
    RollupDimension.CATEGORY: _text("category_id"),
    RollupDimension.PRIORITY: F("priority"),
    RollupDimension.AGENT: Coalesce(_text("agent_id"), Value("")),
    RollupDimension.CHANNEL: F("channel"),
    RollupDimension.ALL: Value("", output_field=CharField()),
}


def _week(value: object) -> date:
    """A week's Monday as a date (PostgreSQL gives a datetime, SQLite text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Grouping:
    group_by: str

    @property
    def dimension(self) -> str:
        return RollupDimension.ALL if self.group_by == "week" else self.group_by

    @property
    def whole_months(self) -> bool:
        """Whether whole months' rollups serve: not for weeks, which straddle months."""
        return self.group_by != "week"

    def raw(self) -> Expression:
        """The group's key on the report rows."""
        if self.group_by == "week":
            tz = timezone.get_current_timezone()
            return TruncWeek(TruncDate("created_at", tzinfo=tz))
        return DIMENSION_KEYS[self.group_by]

    def rolled(self) -> Expression:
        """The group's key on the rollup rows."""
        return TruncWeek("day") if self.group_by == "week" else F("group_key")

    def key(self, value: object) -> object:
        """The key the report uses: an id (None for no agent), a value or a week's Monday."""
        if self.group_by == "week":
            return _week(value)
        if self.group_by in (RollupDimension.TEAM, RollupDimension.CATEGORY):
            return int(value)
        if self.group_by == RollupDimension.AGENT:
            return int(value) if value else None
        return value
