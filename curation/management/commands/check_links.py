"""Check published groups' links and read their public calendars (run daily)."""

from django.core.management.base import BaseCommand, CommandError

from curation.linkcheck import Settings, links_check


class Command(BaseCommand):
    help = (
        "Check each published group's website, sign-up and social links (HEAD, then GET where "
        "HEAD is refused), one request at a time per host, and record each result; links that "
        "fail twice in a row are flagged to curators. Also reads each group's public calendar "
        "(events_feed_url) and keeps its next event for the group's page and card. Run daily."
    )

    def add_arguments(self, parser):
        defaults = Settings()
        parser.add_argument(
            "--max-links",
            type=int,
            default=defaults.max_links,
            help=f"Check at most this many links, least recently checked first "
            f"(default {defaults.max_links}).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=defaults.timeout,
            help=f"Seconds to wait for each answer (default {defaults.timeout:g}).",
        )
        parser.add_argument(
            "--deadline",
            type=float,
            default=defaults.deadline,
            help=f"Seconds for the whole run; what is not reached waits for the next run "
            f"(default {defaults.deadline:g}).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=defaults.workers,
            help=f"Hosts checked at once (default {defaults.workers}).",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=defaults.pause,
            help=f"Seconds between two requests to the same host (default {defaults.pause:g}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; store nothing."
        )

    def handle(self, *args, max_links, timeout, deadline, workers, pause, dry_run, **options):
        if max_links < 1 or timeout <= 0 or deadline <= 0 or not 1 <= workers <= 32 or pause < 0:
            raise CommandError(
                "--max-links must be at least 1, --timeout and --deadline above 0, "
                "--workers between 1 and 32 and --pause not negative."
            )
        config = Settings(
            timeout=timeout, deadline=deadline, max_links=max_links, workers=workers, pause=pause
        )
        report = links_check(config, dry_run=dry_run)
        if options["verbosity"]:
            prefix = "Dry run, nothing stored: " if dry_run else ""
            self.stdout.write(f"{prefix}{report}.")
