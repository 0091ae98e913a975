"""Import organizations from a CSV file: a preview unless --commit; nothing unless every row is
valid."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from curation.csv_format import ImportRefused, read_csv
from curation.importing import ImportInterrupted, import_organizations

SHOWN_CHANGES = 20


class Command(BaseCommand):
    help = (
        "Import organizations from a CSV file (format: docs/curation.md). Shows what would be "
        "created, changed and refused; writes only with --commit, and only if no row has an "
        "error. A row with missing cells is refused, and so is a row that would empty a "
        "private contact email, unless --allow-blank-private."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a UTF-8 CSV file.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--commit", action="store_true", help="Write the changes.")
        mode.add_argument(
            "--dry-run", action="store_true", help="Only preview (the default without --commit)."
        )
        parser.add_argument("--user", help="Username to record in the history as the importer.")
        parser.add_argument(
            "--allow-blank-private",
            action="store_true",
            help="Let empty cells erase private contact emails (refused without this).",
        )

    def handle(self, *args, file, commit, dry_run, user, allow_blank_private, verbosity, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"There is no user called {user!r}.")
        try:
            headers, rows = read_csv(data)
            report = import_organizations(
                headers,
                rows,
                commit=commit,
                user=importer,
                reason=f"Imported by manage.py import_orgs from {path.name}",
                allow_blank_private=allow_blank_private,
                on_batch=self._progress if verbosity >= 2 else None,
            )
        except (ImportRefused, ImportInterrupted) as refusal:
            raise CommandError(str(refusal)) from None
        if verbosity >= 2:
            for change in [*report.created, *report.updated][:SHOWN_CHANGES]:
                verb = "new" if change in report.created else "change"
                fields = ", ".join(sorted(change.changes))
                self.stdout.write(
                    f"  row {change.row}: {verb} {change.organization.slug}: {fields}"
                )
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors:
            raise CommandError(
                f"{report.summary()} Nothing was imported: fix the rows above and run again."
            )
        if verbosity:
            self.stdout.write(report.summary())
            if report.committed:
                self.stdout.write(self.style.SUCCESS("Imported."))
            elif report.changed:
                self.stdout.write("Preview only: run again with --commit to write these changes.")
            else:
                self.stdout.write("Nothing to change.")

    def _progress(self, written, total):
        self.stdout.write(f"  written: {written} of {total}")
