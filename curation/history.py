"""One history record per change, whoever makes it: admin, import, organizer or command."""

from contextlib import contextmanager

from directory.models import ORGANIZATION_HISTORY


@contextmanager
def one_record(org, user=None, reason=""):
    """Save `org` (and set its causes) inside the block; keep one history record of the result.

    Saving the fields and then the causes would otherwise leave two or three records per change,
    the first with the old causes.
    """
    adding = org._state.adding or org.pk is None
    org.skip_history_when_saving = True
    try:
        yield org
    finally:
        del org.skip_history_when_saving
    record(org, "+" if adding else "~", user, reason)


def record(org, history_type, user=None, reason=""):
    """Write a history record of `org` as it is now."""
    org._history_user = user if user is not None and user.is_authenticated else None
    org._change_reason = reason[:100]  # the history column holds 100 characters
    try:
        ORGANIZATION_HISTORY.create_historical_record(org, history_type)
    finally:
        del org._history_user, org._change_reason
