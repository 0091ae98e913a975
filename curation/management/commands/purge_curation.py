"""Erase suggesters' and reporters' email addresses after the retention period."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from curation.privacy import contacts_purge

MAX_DAYS = 36500


class Command(BaseCommand):
    help = (
        "Erase the email addresses of people who suggested a group or reported a problem, "
        "REFERRALS_RETENTION_DAYS after they wrote (the schedule of readers' messages), once "
        "a curator has dealt with the suggestion or report. Run daily, with purge_referrals."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.REFERRALS_RETENTION_DAYS,
            help="Keep addresses this many days (default: REFERRALS_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be erased; erase nothing."
        )

    def handle(self, *args, days, dry_run, verbosity, **options):
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}, not {days}.")
        suggestions, reports = contacts_purge(days=days, dry_run=dry_run)
        if verbosity:
            prefix = "Dry run, nothing erased: " if dry_run else ""
            verb = "would be erased" if dry_run else "erased"
            self.stdout.write(
                f"{prefix}addresses older than {days} days {verb}: {suggestions} suggesters', "
                f"{reports} reporters'."
            )
