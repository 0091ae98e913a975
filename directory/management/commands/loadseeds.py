from django.core.management.base import BaseCommand, CommandError

from directory.seeding import SEEDS_DIR, SeedError, load_seeds


class Command(BaseCommand):
    help = "Load the causes and the sample groups from seeds/; loading twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, then write nothing.")
        parser.add_argument("--seeds-dir", default=SEEDS_DIR, help="Folder with the seed files.")

    def handle(self, *args, dry_run, seeds_dir, verbosity, **options):
        try:
            categories, organizations = load_seeds(seeds_dir, dry_run=dry_run)
        except SeedError as error:
            raise CommandError(f"Nothing was loaded: {error}") from None
        if verbosity:
            prefix = "Dry run, nothing written. " if dry_run else ""
            self.stdout.write(f"{prefix}Causes: {categories}. Groups: {organizations}.")
