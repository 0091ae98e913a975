"""One history record per change, whoever makes it: admin, import, organizer or command."""

from contextlib import contextmanager

from django.db import connection

from directory.models import ORGANIZATION_HISTORY, Organization


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


def copy_history(ids, history_type, when, user_id, reason):
    """History records of the given entries as they now are in the database, causes included.

    Bulk writes bypass django-simple-history's signals, and building a record object per row in
    Python took most of an import's time; copying the rows in SQL, table to table, keeps the same
    records at a fraction of the cost.
    """
    history = Organization.history.model
    through = Organization.causes.through
    history_causes = ORGANIZATION_HISTORY.m2m_models[Organization._meta.get_field("causes")]
    quote = connection.ops.quote_name
    columns = [field.column for field in history.tracked_fields]
    when = connection.ops.adapt_datetimefield_value(when)
    copy_columns = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            # Only quoted table and column names are formatted in; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({copy_columns}, history_date, "  # noqa: S608
                "history_change_reason, history_type, history_user_id) "
                f"SELECT {copy_columns}, %s, %s, %s, %s "
                f"FROM {quote(Organization._meta.db_table)} WHERE id IN ({marks})",
                [when, reason, history_type, user_id, *chunk],
            )
            # A record's causes are copies of the link rows, joined to the records just made.
            cursor.execute(
                f"INSERT INTO {quote(history_causes._meta.db_table)} "  # noqa: S608
                "(id, history_id, organization_id, category_id) "
                "SELECT link.id, record.history_id, link.organization_id, link.category_id "
                f"FROM {quote(through._meta.db_table)} link "
                f"JOIN {quote(history._meta.db_table)} record ON record.id = link.organization_id "
                f"WHERE record.history_date = %s AND record.history_type = %s "
                f"AND link.organization_id IN ({marks})",
                [when, history_type, *chunk],
            )
