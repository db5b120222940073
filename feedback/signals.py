"""Every message a requester writes gets a sentiment score, whichever page or channel it
came through (the progress page's replies are written by another app)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from feedback.services import message_sentiment_record
from helpdesk.models import Message


@receiver(post_save, sender=Message, dispatch_uid="feedback.message_sentiment")
def score_new_message(sender, instance: Message, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        message_sentiment_record(message=instance)
