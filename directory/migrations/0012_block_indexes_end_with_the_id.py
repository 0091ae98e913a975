"""The blocks read in name order end their indexes with the id: PostgreSQL then reads them in
their exact order (name, id) and stops at the limit, instead of reading a name's groups whole.

SQLite then gathers statistics for the new indexes, if it had some for the old ones. Its planner
takes an index it knows nothing of for a very selective one: with statistics for the others and
none for these, it read every published group through the online block's index to list five
HSDS services by slug (100,000 groups: 8 ms to 250 ms). PostgreSQL keeps statistics per column,
which the indexes do not change.
"""

from django.db import migrations, models


def analyze(apps, schema_editor):
    """Statistics for the new indexes where the table has some for the others (a database
    never analysed plans without any, as the search's statements are written to)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'directory_organization'")
        if cursor.fetchone() is not None:
            schema_editor.execute("ANALYZE directory_organization")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0011_cause_points"),
    ]

    operations = [
        # Migrating back, the statistics are gathered last too: for the indexes put back.
        migrations.RunPython(migrations.RunPython.noop, analyze),
        migrations.RemoveIndex(
            model_name="organization",
            name="org_national",
        ),
        migrations.RemoveIndex(
            model_name="organization",
            name="org_coverage_name",
        ),
        migrations.RemoveIndex(
            model_name="organization",
            name="org_statewide",
        ),
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(
                fields=["status", "coverage", "country", "state", "name", "id"],
                name="org_statewide",
            ),
        ),
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(
                fields=["status", "coverage", "country", "name", "id"], name="org_national"
            ),
        ),
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(
                fields=["status", "coverage", "name", "id"], name="org_coverage_name"
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
