"""Export organizations to CSV in the format import_orgs reads."""

from django.core.management.base import BaseCommand, CommandError

from curation.exporting import write_csv
from directory.models import Organization


class Command(BaseCommand):
    help = (
        "Export organizations as CSV (format: docs/curation.md) to a file or standard output. "
        "Cells that a spreadsheet would run as formulas start with an apostrophe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--status",
            action="append",
            choices=Organization.Status.values,
            help="Only entries with this status (repeatable). Default: all.",
        )
        parser.add_argument(
            "--no-private",
            action="store_true",
            help="Leave out the private contact emails (a file to share; it imports back "
            "leaving them as they are).",
        )

    def handle(self, *args, output, status, no_private, **options):
        queryset = Organization.objects.all()
        if status:
            queryset = queryset.filter(status__in=status)
        if not output:
            write_csv(queryset, self.stdout, private=not no_private)
            return
        try:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = write_csv(queryset, out, private=not no_private)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
        self.stderr.write(f"{count} organizations written to {output}.")
