"""The intake's django-q2 schedules and task entry points."""

import pytest
from django_q.models import Schedule

from feedback import tasks

pytestmark = pytest.mark.django_db


def test_the_data_migration_schedules_the_intake_tasks():
    schedules = {s.func: s.minutes for s in Schedule.objects.filter(func__startswith="feedback.")}

    assert schedules == {
        "feedback.tasks.poll_mailbox": 1,
        "feedback.tasks.relay_acknowledgements": 5,
        "feedback.tasks.purge_idempotency_keys": 60,
        "feedback.surveys.tasks.deliver_due": 1,
        "feedback.surveys.tasks.invite_nps": 60,
    }


def test_polling_without_a_mailbox_says_so(settings):
    settings.FEEDBACK_IMAP_HOST = ""

    assert tasks.poll_mailbox() == "No intake mailbox configured (FEEDBACK_IMAP_HOST)."
