"""django-q2 entry points of the surveys."""

from feedback.surveys.invitations import (
    nps_invite_due,
    survey_email_deliver,
    survey_emails_deliver_due,
)


def deliver_survey_email(email_id: int) -> str:
    return survey_email_deliver(email_id=email_id)


def deliver_due() -> str:
    """Every minute: invitations whose survey opened, retries, and what an enqueue missed."""
    return f"{survey_emails_deliver_due(budget=90)} survey email(s) sent"


def invite_nps() -> str:
    """Every hour: the contacts due for their relationship NPS."""
    return f"{nps_invite_due()} contact(s) asked for NPS"
