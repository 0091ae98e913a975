"""What widgets did, per day and per snippet (`ref`): counts only, nothing about readers.

A row holds a public ref, a day and numbers. No address, cookie, query text or full ZIP code is
ever stored; a coverage gap is kept as the first three digits of a ZIP code and a count.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

REF_LENGTH = 12


class EmbedDailyCount(models.Model):
    """Searches readers made in one snippet's widget, groups they opened, messages they sent."""

    ref = models.CharField(_("snippet"), max_length=REF_LENGTH)
    day = models.DateField(_("day"))
    searches = models.PositiveIntegerField(_("searches"), default=0)
    views = models.PositiveIntegerField(_("groups opened"), default=0)
    messages = models.PositiveIntegerField(_("messages sent"), default=0)

    class Meta:
        verbose_name = _("widget daily count")
        verbose_name_plural = _("widget daily counts")
        ordering = ["-day", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["ref", "day"], name="embed_daily_count_ref_day"),
        ]

    def __str__(self):
        return f"{self.ref} {self.day}"


class EmbedGapCount(models.Model):
    """Searches in one snippet's widget that found no local group, by three-digit ZIP area."""

    ref = models.CharField(_("snippet"), max_length=REF_LENGTH)
    day = models.DateField(_("day"))
    area = models.CharField(_("ZIP area"), max_length=3, help_text=_("First three digits."))
    searches = models.PositiveIntegerField(_("searches without a local group"), default=0)

    class Meta:
        verbose_name = _("widget coverage gap")
        verbose_name_plural = _("widget coverage gaps")
        ordering = ["-day", "ref", "area"]
        constraints = [
            models.UniqueConstraint(fields=["ref", "day", "area"], name="embed_gap_ref_day_area"),
            models.CheckConstraint(
                condition=models.Q(area__regex=r"^[0-9]{3}$"), name="embed_gap_area_three_digits"
            ),
        ]

    def __str__(self):
        return f"{self.ref} {self.day} {self.area}xx"
