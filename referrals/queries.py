"""Read paths for the relay: what is due for delivery, for a follow-up, for erasure; statistics."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, Q


class ReferralQuerySet(models.QuerySet):
    def due(self, now):
        """Messages a worker should try now: scheduled ones, and ones a dead worker left claimed."""
        return self.filter(
            Q(status="pending", next_attempt_at__lte=now)
            | Q(status="sending", claimed_until__lt=now)
        )

    def followup_due(self, sent_before):
        """Delivered messages whose reader has not yet been asked whether the group replied."""
        return self.filter(
            status="sent",
            sent_at__lte=sent_before,
            followup_sent_at__isnull=True,
            purged_at__isnull=True,
            answer__isnull=True,
        ).exclude(email="")

    def unconfirmed(self, written_before):
        """Held messages whose reader never confirmed their address, written before the cutoff."""
        return self.filter(created__lt=written_before, purged_at__isnull=True, status="held")

    def confirmation_due(self):
        """Held messages whose confirmation mail has not gone out yet."""
        return self.filter(status="held", confirm_sent_at__isnull=True, purged_at__isnull=True)

    def purgeable(self, written_before):
        """Finished messages older than the retention period whose words are still kept."""
        return self.filter(
            created__lt=written_before, purged_at__isnull=True, status__in=["sent", "failed"]
        )


@dataclass(frozen=True)
class Responsiveness:
    """How often readers say a group got back to them."""

    answers: int = 0
    yes: int = 0

    @property
    def percent(self):
        # Rounded half up, in integers: 62.5% reads as 63%.
        return (200 * self.yes + self.answers) // (2 * self.answers) if self.answers else None

    @property
    def enough_answers(self):
        return self.answers >= settings.REFERRALS_REPLIES_MIN_ANSWERS

    @property
    def usually_replies(self):
        return self.enough_answers and self.percent >= settings.REFERRALS_REPLIES_MIN_PERCENT


def responsiveness(organization_ids):
    """{organization id: Responsiveness} for the given groups, in one query."""
    from referrals.models import FollowupAnswer

    rows = (
        FollowupAnswer.objects.filter(referral__organization_id__in=list(organization_ids))
        .values("referral__organization_id")
        .annotate(total=Count("pk"), yes=Count("pk", filter=Q(replied=True)))
        .order_by()
    )
    return {
        row["referral__organization_id"]: Responsiveness(row["total"], row["yes"]) for row in rows
    }


def responsiveness_of(organization):
    """One group's Responsiveness (zero answers when nobody has answered yet)."""
    return responsiveness([organization.pk]).get(organization.pk, Responsiveness())
