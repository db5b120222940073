"""The default escalation policy a fresh install seeds (migration 0008), for tests.

Created by the tests themselves: a transactional test elsewhere in the run flushes the tables,
and with them the rows the migration wrote.
"""

from helpdesk.models import EscalationPolicy, EscalationStep


def default_escalation_policy() -> EscalationPolicy:
    policy, _ = EscalationPolicy.objects.get_or_create(team=None, priority="")
    policy.steps.all().delete()
    for at_percent, notify_lead in [(75, False), (90, False), (100, True)]:
        EscalationStep.objects.create(
            policy=policy, at_percent=at_percent, notify_assignee=True, notify_team_lead=notify_lead
        )
    return policy
