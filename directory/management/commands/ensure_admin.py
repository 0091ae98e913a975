import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a local superuser 'admin' with a generated password, if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, verbosity, **options):
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            if verbosity > 1:
                self.stdout.write("A superuser exists already; nothing to do.")
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        # Printed once: it is not stored anywhere in clear.
        self.stdout.write(
            self.style.SUCCESS(f"Created admin user '{username}' with password: {password}")
        )
