"""Email organizers whose entry was not verified for a while a link to confirm or correct it."""

from django.conf import settings
from django.core.management.base import BaseCommand

from curation.services import due_for_reconfirmation, reconfirmation_send


class Command(BaseCommand):
    help = (
        "Send each organizer whose entry was last verified more than "
        "CURATION_RECONFIRM_AFTER_MONTHS ago (and not asked within "
        "CURATION_RECONFIRM_VALID_DAYS) a signed link to confirm the entry or propose edits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List who would be asked.")
        parser.add_argument("--limit", type=int, default=500, help="At most this many emails.")
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="Origin for the links (default: SITE_URL).",
        )

    def handle(self, *args, dry_run, limit, base_url, verbosity, **options):
        due = list(due_for_reconfirmation()[: max(limit, 0)])
        sent = failed = 0
        for org in due:
            if dry_run:
                self.stdout.write(f"would ask: {org.slug}")
                continue
            if reconfirmation_send(org, base_url).sent_at:
                sent += 1
                if verbosity >= 2:
                    self.stdout.write(f"asked: {org.slug}")
            else:
                failed += 1
                self.stderr.write(f"could not send to {org.slug}; it will be retried next run")
        if verbosity:
            if dry_run:
                self.stdout.write(f"{len(due)} organizers would be asked (dry run).")
            else:
                self.stdout.write(f"{sent} reconfirmation emails sent, {failed} failed.")
