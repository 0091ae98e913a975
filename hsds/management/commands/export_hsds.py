from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hsds.exporting import export_package


class Command(BaseCommand):
    help = (
        "Write the published directory as an HSDS 3.0 tabular data package "
        "(one CSV per table and datapackage.json) into DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Folder to write into (created if missing).")

    def handle(self, directory, **options):
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} exists and is not a folder.")
        try:
            counts = export_package(target)
        except OSError as error:
            raise CommandError(f"Could not write to {target}: {error.strerror}") from None
        if options["verbosity"] >= 1:
            rows = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
            self.stdout.write(f"Wrote {target}: {rows}.")
