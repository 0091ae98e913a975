"""The one table the abuse controls keep: rate-limit counters, for when there is no Redis."""

from django.db import models


class RateCount(models.Model):
    """A rate-limit counter kept in the database, for when there is no Redis or it is down.

    Shared by every app server and kept across restarts. `key` names what is counted; the window
    restarts at the first event after `expires` (Unix seconds), like a cache key's timeout.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        # The table keeps the name it was created with in the contact relay: moving the model
        # here changed nothing in the database (abuse/migrations/0001_initial.py).
        db_table = "referrals_ratecount"

    def __str__(self):
        return f"{self.key}: {self.count}"
