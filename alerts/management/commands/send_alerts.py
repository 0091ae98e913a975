from django.core.management.base import BaseCommand
from django.utils import timezone

from alerts.models import AlertMail, Subscription
from alerts.services import alerts_match, deliver_due


class Command(BaseCommand):
    help = (
        "Queue an alert for every confirmed subscription that a newly listed group covers, then "
        "send the alert and confirmation mails that are due, retrying failures with backoff "
        "(REFERRALS_RETRY_DELAYS). Run every few minutes from a scheduler; a mail server that "
        "is down loses nothing, and nothing is sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what is waiting; queue and send nothing."
        )

    def handle(self, *args, dry_run, verbosity, **options):
        if dry_run:
            due = AlertMail.objects.filter(
                status=AlertMail.Status.PENDING, next_attempt_at__lte=timezone.now()
            ).count()
            active = Subscription.objects.confirmed().count()
            self.stdout.write(f"Dry run, nothing sent: {active} alerts on, {due} mails due.")
            return
        queued = alerts_match()
        outcomes = deliver_due()
        if verbosity:
            sent = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "none due"
            self.stdout.write(f"{queued} alerts queued; mails: {sent}.")
