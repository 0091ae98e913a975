"""Reads from replicas, writes to the primary (DATABASE_REPLICA_URLS)."""

import random

from django.conf import settings
from django.db import connections


class ReplicaRouter:
    """Send reads to a replica, except within a transaction on the primary.

    Inside a transaction a read must see what that transaction wrote, and a read-modify-write
    (select_for_update, the relay's duplicate check) must read the primary.
    """

    def db_for_read(self, model, **hints):
        if connections["default"].in_atomic_block:
            return "default"
        replicas = [alias for alias in settings.DATABASES if alias.startswith("replica")]
        return random.choice(replicas) if replicas else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
