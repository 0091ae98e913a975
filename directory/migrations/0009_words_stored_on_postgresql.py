"""PostgreSQL: each group's words kept as a stored tsvector column, indexed with GIN.

Migration 0004 indexed the expression, so the index found the groups with a rare word, but a
search that checks a common word row by row (among the groups a ring of the map has read)
computed the expression again for each row. The stored column is computed once per write, by
the database, so no write path can forget it. SQLite keeps its FTS5 table and is untouched.

PostgreSQL will not change the type of a column a generated column reads: a later migration
that alters name, summary, description or city must drop `words` first and add it again.
"""

from django.db import migrations

WORDS = "to_tsvector('simple', name || ' ' || summary || ' ' || description || ' ' || city)"

FORWARD = [
    "ALTER TABLE directory_organization ADD COLUMN words tsvector"
    f" GENERATED ALWAYS AS ({WORDS}) STORED",
    "CREATE INDEX org_words_stored ON directory_organization USING GIN (words)",
    "DROP INDEX IF EXISTS org_words",
]
BACKWARD = [
    f"CREATE INDEX org_words ON directory_organization USING GIN ({WORDS})",
    "DROP INDEX IF EXISTS org_words_stored",
    "ALTER TABLE directory_organization DROP COLUMN IF EXISTS words",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_category_translations")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
