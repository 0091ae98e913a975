"""The relay's limits: per reader, per reader and group, per group; and the duplicate check.

Counting, client hashes and refusals are the shared abuse controls (abuse.limits); what is
counted, and how each refusal reads, is the relay's.
"""

import logging

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from abuse.limits import Refused, admit, keyed_hash
from referrals.models import CapReached

logger = logging.getLogger(__name__)


def admit_message(organization, client, now=None):
    """Count a message against the per-address and per-group limits, or raise Refused.

    A client may use only a share of a group's cap, so a few clients cannot fill it and silence
    the group's relay; when the cap itself is reached, curators see it (CapReached).
    """
    admit(
        f"referrals:client:{client}",
        settings.REFERRALS_CLIENT_LIMIT,
        settings.REFERRALS_CLIENT_WINDOW,
        _(
            "You have sent several messages in a short time, so we are holding this one "
            "back. Please try again in an hour; what you wrote is still below."
        ),
    )
    admit(
        f"referrals:org:{organization.pk}:client:{client}",
        settings.REFERRALS_ORG_CLIENT_LIMIT,
        settings.REFERRALS_ORG_WINDOW,
        _(
            "You have already written to this group several times today, so we are holding "
            "this one back. Please try again tomorrow; what you wrote is still below."
        ),
    )
    try:
        admit(
            f"referrals:org:{organization.pk}",
            settings.REFERRALS_ORG_LIMIT,
            settings.REFERRALS_ORG_WINDOW,
            _(
                "This group has received many messages today, so we are not taking more "
                "until tomorrow. Please try again then, or use the group's other contact "
                "links; what you wrote is still below."
            ),
        )
    except Refused:
        cap_reached(organization, now)
        raise


def cap_reached(organization, now=None):
    """Note, for curators, that the group's cap turned a reader away today."""
    now = now or timezone.now()
    flag, created = CapReached.objects.get_or_create(
        organization=organization,
        day=timezone.localdate(now),
        defaults={"first_refused": now, "refused": 1},
    )
    if created:
        logger.warning("referrals: group %s reached its daily cap", organization.pk)
    else:
        CapReached.objects.filter(pk=flag.pk).update(refused=F("refused") + 1)


def fingerprint(organization_id, email, message):
    """The same message from the same address to the same group hashes the same."""
    words = " ".join(message.split()).casefold()
    return keyed_hash(
        "referrals.fingerprint", f"{organization_id}\n{email.strip().casefold()}\n{words}"
    )
