"""Replace the database's contents with a backup made by `manage.py backup`."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from directory import caching
from directory.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace everything in the database with the backup at PATH (made by `manage.py "
        "backup` on the same kind of database). What the database holds now is lost: back it "
        "up first if in doubt."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by `manage.py backup`.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument(
            "--bin-dir",
            help="PostgreSQL only: the folder holding pg_restore (default: as for backup).",
        )

    def handle(self, *args, path, interactive, bin_dir, verbosity, **options):
        name = connection.settings_dict["NAME"]
        if interactive:
            answer = input(
                f"This replaces everything in the database {name} with {path}. "
                "Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing changed.")
        try:
            missing = restore(path, bin_dir=bin_dir)
        except BackupError as error:
            raise CommandError(str(error)) from None
        # Answers cached before the restore describe another directory: make them all stale.
        caching.bump()
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Restored {path} into {name}."))
        if missing:
            self.stderr.write(
                f"The backup predates {missing} migrations of this code: run "
                "`manage.py migrate` before serving it."
            )
