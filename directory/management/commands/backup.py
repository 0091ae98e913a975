"""Back up the database to one file, consistently, while the site keeps running."""

from django.core.management.base import BaseCommand, CommandError

from directory.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup of the database to PATH while the site runs: SQLite's online backup "
        "(a consistent copy, write-ahead log included), or pg_dump's custom format for "
        "PostgreSQL. Restore it with `manage.py restore PATH`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file to write (replaced if it exists).")
        parser.add_argument(
            "--bin-dir",
            help="PostgreSQL only: the folder holding pg_dump and pg_restore (default: the "
            "newest found in PATH or /usr/lib/postgresql/*/bin that can read the server).",
        )

    def handle(self, *args, path, bin_dir, verbosity, **options):
        try:
            done = backup(path, bin_dir=bin_dir)
        except BackupError as error:
            raise CommandError(str(error)) from None
        if verbosity:
            self.stdout.write(done)
