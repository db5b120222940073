"""manage.py report_rollups_refresh: bring the report's daily rollups up to date now."""

from django.core.management.base import BaseCommand

from helpdesk.reports.rollups import report_rollups_refresh


class Command(BaseCommand):
    help = (
        "Recompute the daily rollups of the SLA report for the days whose report rows changed "
        "(--all: for every day, from scratch)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all", action="store_true", dest="everything", help="Rebuild every day's rollups."
        )

    def handle(self, *args, everything: bool, **options) -> None:
        days = report_rollups_refresh(everything=everything)
        self.stdout.write(f"Rolled up {days} day(s).")
