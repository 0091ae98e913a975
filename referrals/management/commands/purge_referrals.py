from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from referrals.services import referrals_purge

MAX_DAYS = 36500


class Command(BaseCommand):
    help = (
        "Erase the names, addresses and words of messages older than the retention period "
        "(REFERRALS_RETENTION_DAYS). Counts and answers stay for statistics. Run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.REFERRALS_RETENTION_DAYS,
            help="Keep messages this many days (default: REFERRALS_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be erased; erase nothing."
        )

    def handle(self, *args, days, dry_run, verbosity, **options):
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}, not {days}.")
        count = referrals_purge(days=days, dry_run=dry_run)
        if verbosity:
            prefix = "Dry run, nothing erased: " if dry_run else ""
            verb = "would be erased" if dry_run else "erased"
            self.stdout.write(
                f"{prefix}{count} messages older than {days} days {verb}; their counts remain."
            )
