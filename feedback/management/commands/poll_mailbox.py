"""manage.py poll_mailbox: read the intake mailbox once and print what each message became."""

from django.core.management.base import BaseCommand, CommandError

from feedback.imap import mailbox_configured, mailbox_poll


class Command(BaseCommand):
    help = "Turn the unread mail of the intake mailbox into tickets and replies, once."

    def handle(self, *args, **options) -> None:
        if not mailbox_configured():
            raise CommandError("No intake mailbox configured: set FEEDBACK_IMAP_HOST and friends.")
        outcomes = mailbox_poll()
        for outcome in outcomes:
            line = " ".join(filter(None, [outcome.result, outcome.reference, outcome.reason]))
            self.stdout.write(line)
        self.stdout.write(f"Handled {len(outcomes)} message(s).")
