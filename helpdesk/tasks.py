"""django-q2 entry points of the core."""

from helpdesk.services.sla_sweep import sla_sweep


def sweep_sla() -> str:
    result = sla_sweep()
    return f"{result.tickets} tickets, {len(result.warnings)} warnings, {len(result.breaches)} breaches"
