"""Erase one person's data everywhere: messages, suggestions, reports, relay addresses, history."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from curation.privacy import person_erase


class Command(BaseCommand):
    help = (
        "Erase what the site keeps about the person with this email address: their messages to "
        "groups (name, address, words), the address and note of their suggestions, the address "
        "and details of their problem reports, and the address wherever it is an entry's relay "
        "address, in the entries' history too. Counts stay. Staff accounts are only listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's email address (any letter case).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be erased; erase nothing."
        )

    def handle(self, *args, email, dry_run, verbosity, **options):
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        erasure = person_erase(email, dry_run=dry_run)
        verb = "would be erased" if dry_run else "erased"
        if verbosity:
            for table, count in erasure.counts.items():
                self.stdout.write(f"{table}: {count} {verb}")
            if not erasure.total:
                self.stdout.write("Nothing kept with this address.")
        for org in erasure.entries:
            self.stderr.write(
                f"The entry {org.slug!r} has this address as its relay address; without it, "
                "readers cannot write to the group until a curator sets another."
            )
        for username in erasure.accounts:
            self.stderr.write(
                f"The staff account {username!r} has this address; an administrator deletes or "
                "edits it in the admin (erase_person leaves accounts alone)."
            )
        if verbosity and not dry_run and erasure.total:
            self.stdout.write(
                self.style.SUCCESS("Erased. Mail already delivered to groups is outside the site.")
            )
