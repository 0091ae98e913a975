import logging
import signal
import socket
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from referrals.models import Referral
from referrals.services import deliver_due, referrals_requeue, worker_heartbeat

logger = logging.getLogger("referrals.worker")


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
        "Run with --loop as a worker; each message is handed over once even with many workers. "
        "With --loop, a database or mail outage is logged and waited out, never a reason to exit."
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
        parser.add_argument(
            "--heartbeat-file",
            default=str(settings.VAR_DIR / "deliver_messages.heartbeat"),
            help="With --loop: touched after every pass without error, for a supervisor to check.",
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
        if not loop:
            self._report(options, deliver_due(limit=limit))
            return
        self._stopping = False
        # A deployment stops workers with SIGTERM: finish the message in hand, then exit.
        signal.signal(signal.SIGTERM, self._stop)
        name = f"{socket.gethostname()}:deliver_messages"
        done = errors = 0
        while not self._stopping and not (passes and done >= passes):
            done += 1
            try:
                # Through a database outage mid-message, the outcome of a mail already handed
                # over is recorded for up to half the claim, so it is not sent twice.
                outcomes = deliver_due(limit=limit, patience=settings.REFERRALS_CLAIM_SECONDS / 2)
                worker_heartbeat(name)
            except Exception as error:  # a transient fault must not end the worker: wait, retry
                errors += 1
                pause = min(interval * 2 ** (errors - 1), settings.REFERRALS_WORKER_MAX_BACKOFF)
                logger.error(
                    "deliver_messages: pass failed (%s: %s); retrying in %.0f s",
                    type(error).__name__,
                    str(error).splitlines()[0][:200] if str(error) else "",
                    pause,
                )
                self._forget_connection()
                self._sleep(pause)
                continue
            if errors:
                logger.warning("deliver_messages: recovered after %d failed passes", errors)
            errors = 0
            self._touch(options["heartbeat_file"])
            self._report(options, outcomes)
            if not connection.in_atomic_block:
                # Like a request: drop a connection past CONN_MAX_AGE or broken meanwhile.
                close_old_connections()
            if sum(outcomes.values()) < limit and not (passes and done >= passes):
                self._sleep(interval)

    def _report(self, options, outcomes):
        if outcomes:
            self._say(options, ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())))

    def _forget_connection(self):
        # A connection broken by the outage is useless; the next pass opens a fresh one.
        if not connection.in_atomic_block:
            try:
                connection.close()
            except Exception:  # closing a dead connection may itself fail; it is gone either way
                logger.debug("deliver_messages: closing the broken connection failed")

    def _sleep(self, seconds):
        # In short steps, so that SIGTERM ends a long backoff promptly.
        end = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < end:
            time.sleep(max(0, min(0.2, end - time.monotonic())))

    def _touch(self, path):
        if not path:
            return
        try:
            Path(path).touch()
        except OSError as error:
            logger.warning("deliver_messages: cannot touch %s (%s)", path, error)

    def _stop(self, signum, frame):
        self._stopping = True

    def _say(self, options, text):
        if options["verbosity"]:
            self.stdout.write(text)
