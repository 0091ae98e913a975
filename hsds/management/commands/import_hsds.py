from django.core.management.base import BaseCommand, CommandError

from hsds.importing import ImportFailed, import_hsds


class Command(BaseCommand):
    help = (
        "Import HSDS 3.0 data: a JSON organization, service or service at a location, a list or "
        "an API page of them, or a tabular data package folder. Lists what it does to each "
        "record, and what it refused and why; --dry-run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A .json file, a datapackage.json, or a package folder.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Preview the import without writing."
        )

    def handle(self, path, dry_run, **options):
        try:
            report = import_hsds(path, dry_run=dry_run)
        except ImportFailed as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] >= 1:
            for outcome in report.outcomes:
                if outcome.action != "unchanged" or options["verbosity"] >= 2:
                    self.stdout.write(str(outcome))
        self.stdout.write(report.summary())
