from datetime import timedelta

from django.core.management.base import BaseCommand

from statusfeed.outbox import outbox_relay


class Command(BaseCommand):
    help = "Publish public events that were committed but not yet published (one pass)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=2.0,
            help="Seconds an event must have waited (leaves fresh ones to their own publish).",
        )

    def handle(self, *args, older_than: float, **options):
        sent = outbox_relay(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"Published {sent} event(s).")
