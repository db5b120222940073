"""manage.py sla_sweep: record the SLA warnings and breaches that are due, once."""

from django.core.management.base import BaseCommand

from helpdesk.services.sla_sweep import sla_sweep


class Command(BaseCommand):
    help = "Run one SLA sweep and print the warnings and breaches it recorded."

    def handle(self, *args, **options) -> None:
        result = sla_sweep()
        marks = sorted(
            [*result.warnings, *result.breaches],
            key=lambda item: (item[1].at, item[0], item[1].threshold),
        )
        for reference, mark in marks:
            if mark.is_breach:
                self.stdout.write(f"{reference} {mark.clock} breached")
            else:
                self.stdout.write(f"{reference} {mark.clock} warning {mark.threshold:.0%}")
        self.stdout.write(
            f"Examined {result.tickets} ticket(s): "
            f"{len(result.warnings)} warning(s), {len(result.breaches)} breach(es)."
        )
