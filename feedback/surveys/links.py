"""The emailed survey links: signed (django.core.signing), so they need no login and no
stored token, bound to the survey and its ticket or contact, and valid for SURVEY_OPEN_FOR."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from feedback.surveys.models import RelationshipSurvey, TicketSurvey
from helpdesk.services.notifications import site_url

TICKET_SURVEY_SALT = "feedback.surveys.ticket"
NPS_SALT = "feedback.surveys.nps"


class LinkInvalid(Exception):
    """The link was altered, or was never ours."""


class LinkExpired(Exception):
    """The link was ours, but is older than SURVEY_OPEN_FOR."""


def ticket_survey_token(survey: TicketSurvey) -> str:
    return signing.dumps([survey.pk, survey.ticket_id], salt=TICKET_SURVEY_SALT)


def nps_token(survey: RelationshipSurvey) -> str:
    return signing.dumps([survey.pk, survey.contact_id], salt=NPS_SALT)


def ticket_survey_url(survey: TicketSurvey) -> str:
    return site_url(reverse("feedback:survey", args=[ticket_survey_token(survey)]))


def nps_url(survey: RelationshipSurvey) -> str:
    return site_url(reverse("feedback:nps", args=[nps_token(survey)]))


def _unsign(token: str, salt: str) -> tuple[int, int]:
    try:
        value = signing.loads(token, salt=salt, max_age=settings.SURVEY_OPEN_FOR.total_seconds())
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise LinkInvalid from exc
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        raise LinkInvalid
    return value[0], value[1]


def ticket_survey_for_token(token: str) -> TicketSurvey | None:
    """The survey a link opens; raises LinkInvalid or LinkExpired; None if it is gone."""
    survey_id, ticket_id = _unsign(token, TICKET_SURVEY_SALT)
    return (
        TicketSurvey.objects.select_related("ticket")
        .filter(pk=survey_id, ticket_id=ticket_id)
        .first()
    )


def nps_survey_for_token(token: str) -> RelationshipSurvey | None:
    survey_id, contact_id = _unsign(token, NPS_SALT)
    return RelationshipSurvey.objects.filter(pk=survey_id, contact_id=contact_id).first()
