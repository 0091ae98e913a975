import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from referrals.models import Referral
from referrals.services import deliver_due, referrals_requeue


def positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def seconds(text):
    value = float(text)
    if not 0 < value <= 3600:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Deliver the stored messages that are due, retrying failures with backoff. "
        "Run with --loop as a worker; each message is handed over once even with many workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running until stopped.")
        parser.add_argument(
            "--interval", type=seconds, default=5, help="Seconds between passes with --loop."
        )
        parser.add_argument(
            "--passes", type=positive, help="With --loop: stop after this many passes."
        )
        parser.add_argument(
            "--limit", type=positive, default=200, help="Messages tried per pass at most."
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="First queue again every message that was given up on (after an outage).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what is due, then send nothing."
        )

    def handle(self, *args, loop, interval, passes, limit, retry_failed, dry_run, **options):
        if passes and not loop:
            raise CommandError("--passes only makes sense with --loop.")
        if dry_run:
            due = Referral.objects.due(timezone.now()).count()
            failed = Referral.objects.filter(status=Referral.Status.FAILED).count()
            self.stdout.write(f"Dry run, nothing sent: {due} due now, {failed} given up.")
            return
        if retry_failed:
            count = referrals_requeue(Referral.objects.filter(status=Referral.Status.FAILED))
            self._say(options, f"{count} failed messages queued again.")
        self._stopping = False
        if loop:
            # A deployment stops workers with SIGTERM: finish the message in hand, then exit.
            signal.signal(signal.SIGTERM, self._stop)
        done = 0
        while True:
            outcomes = deliver_due(limit=limit)
            if outcomes:
                self._say(options, ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())))
            done += 1
            if not loop or self._stopping or (passes and done >= passes):
                break
            if not connection.in_atomic_block:
                # Like a request: drop a connection past CONN_MAX_AGE or broken meanwhile.
                close_old_connections()
            if sum(outcomes.values()) < limit:
                time.sleep(interval)

    def _stop(self, signum, frame):
        self._stopping = True

    def _say(self, options, text):
        if options["verbosity"]:
            self.stdout.write(text)
