import base64
import io

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give a staff account an authenticator (TOTP) device and print its QR code and key, "
        "to scan or type into an authenticator app; optionally backup codes too."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="The device's name.")
        parser.add_argument(
            "--replace", action="store_true", help="Remove the account's other authenticators."
        )
        parser.add_argument(
            "--backup-codes",
            type=int,
            default=0,
            metavar="N",
            help="Also make N single-use backup codes (replacing earlier ones).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Save nothing.")

    def handle(self, *args, username, name, replace, backup_codes, dry_run, verbosity, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff: the admin would not let it in.")
        with transaction.atomic():
            if replace:
                TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
            codes = self._backup_codes(user, backup_codes) if backup_codes > 0 else []
            if dry_run:
                transaction.set_rollback(True)
        url = device.config_url
        if verbosity > 0:
            self.stdout.write(self._qr(url))
            key = base64.b32encode(device.bin_key).decode().rstrip("=")
            self.stdout.write(f"Key, to type in instead: {key}")
            self.stdout.write(f"Or open: {url}")
            if codes:
                self.stdout.write("Backup codes, each good once (keep them offline):")
                for code in codes:
                    self.stdout.write(f"  {code}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Would add' if dry_run else 'Added'} authenticator {name!r} for {username!r}."
            )
        )

    def _backup_codes(self, user, count):
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="backup codes", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        return codes

    def _qr(self, url):
        import qrcode

        qr = qrcode.QRCode(border=1)
        qr.add_data(url)
        out = io.StringIO()
        qr.print_ascii(out=out)
        return out.getvalue()
