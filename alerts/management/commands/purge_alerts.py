from django.conf import settings
from django.core.management.base import BaseCommand

from alerts.services import alerts_purge


class Command(BaseCommand):
    help = (
        "Delete alert subscriptions past retention: unconfirmed ones ALERTS_CONFIRM_DAYS after "
        "they were asked for, confirmed ones ALERTS_RETENTION_DAYS after confirmation. Run "
        "daily, with purge_referrals and purge_curation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args, dry_run, verbosity, **options):
        unconfirmed, expired = alerts_purge(dry_run=dry_run)
        if verbosity:
            prefix = "Dry run, nothing deleted: " if dry_run else ""
            verb = "would be deleted" if dry_run else "deleted"
            self.stdout.write(
                f"{prefix}alerts {verb}: {unconfirmed} never confirmed within "
                f"{settings.ALERTS_CONFIRM_DAYS} days, {expired} confirmed more than "
                f"{settings.ALERTS_RETENTION_DAYS} days ago."
            )
