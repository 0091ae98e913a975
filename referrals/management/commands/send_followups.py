from django.core.management.base import BaseCommand

from referrals.services import followup_send, followups_due


class Command(BaseCommand):
    help = (
        "Email each reader whose message was delivered REFERRALS_FOLLOWUP_DAYS ago, once, "
        "asking whether the group got back to them. Run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would be asked; send nothing."
        )

    def handle(self, *args, dry_run, verbosity, **options):
        due = followups_due()
        if dry_run:
            self.stdout.write(f"Dry run, nothing sent: {len(due)} follow-ups due.")
            return
        sent = sum(1 for referral_id in due if followup_send(referral_id))
        if verbosity:
            self.stdout.write(f"{sent} follow-ups sent, {len(due) - sent} left for the next run.")
