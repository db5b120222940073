"""Business-hours calendars: weekly windows in an IANA zone, public and custom holidays."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models

from helpdesk.sla import BusinessCalendar, holidays_for


def default_weekly() -> dict:
    return {str(day): [[540, 1020]] for day in range(5)}


class Calendar(models.Model):
    """Business hours of a team: weekly windows in an IANA zone, public and custom holidays."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # {"0": [[540, 1020]], ...}: weekday (0=Monday) -> windows in minutes after local midnight.
    weekly = models.JSONField(default=default_weekly)
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="ISO country code whose public holidays apply."
    )
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    # Bumped by every change to the calendar or its holidays; part of the cache key.
    version = models.PositiveIntegerField(default=1, editable=False)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            self.version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            weekly = {int(day): [tuple(w) for w in windows] for day, windows in self.weekly.items()}
            BusinessCalendar(timezone=self.timezone, weekly=weekly, holidays=[])
            if self.holiday_country:
                holidays_for(
                    self.holiday_country, [date.today().year], self.holiday_subdivision or None
                )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValidationError(f"Invalid calendar: {exc}") from exc

    def business_calendar(self) -> BusinessCalendar:
        return _business_calendar(
            self.pk,
            self.version,
            self.timezone,
            tuple(
                (int(day), tuple(tuple(w) for w in windows)) for day, windows in self.weekly.items()
            ),
            self.holiday_country,
            self.holiday_subdivision,
        )


# One entry per calendar: its latest version and the pure calendar built from it.
_calendar_cache: dict[int | None, tuple[tuple, BusinessCalendar]] = {}


def _business_calendar(pk, version, tz, weekly, country, subdivision) -> BusinessCalendar:
    """Build (once per calendar version) the pure calendar the SLA clocks run on."""
    key = (version, tz, weekly, country, subdivision)
    cached = _calendar_cache.get(pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    custom = set(
        Holiday.objects.filter(calendar_id=pk).values_list("date", flat=True) if pk else []
    )
    if country:
        this_year = date.today().year
        custom.update(
            holidays_for(country, range(this_year - 2, this_year + 4), subdivision or None)
        )
    calendar = BusinessCalendar(
        timezone=tz,
        weekly={day: [tuple(w) for w in windows] for day, windows in weekly},
        holidays=sorted(custom),
    )
    _calendar_cache[pk] = (key, calendar)
    return calendar


def forget_business_calendars() -> None:
    """Drop every cached calendar (tests: a rolled-back SQLite id can come back with new rows)."""
    _calendar_cache.clear()


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._bump_calendar()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._bump_calendar()
        return result

    def _bump_calendar(self) -> None:
        # A new calendar version, so cached business calendars see the change.
        Calendar.objects.filter(pk=self.calendar_id).update(version=models.F("version") + 1)
