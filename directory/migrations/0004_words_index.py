"""A full-text index of each group's words: FTS5 on SQLite, a GIN tsvector index on PostgreSQL.

SQLite keeps its index in a separate FTS5 table, in step with the groups through triggers, so
every write path (the ORM, bulk writes, raw SQL) keeps it true.
"""

from django.db import migrations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE directory_organization_words USING fts5(
        name, summary, description, city,
        content='directory_organization', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER directory_organization_words_insert AFTER INSERT ON directory_organization
    BEGIN
        INSERT INTO directory_organization_words(rowid, name, summary, description, city)
        VALUES (new.id, new.name, new.summary, new.description, new.city);
    END""",
    """CREATE TRIGGER directory_organization_words_delete AFTER DELETE ON directory_organization
    BEGIN
        INSERT INTO directory_organization_words(
            directory_organization_words, rowid, name, summary, description, city)
        VALUES ('delete', old.id, old.name, old.summary, old.description, old.city);
    END""",
    """CREATE TRIGGER directory_organization_words_update
    AFTER UPDATE OF name, summary, description, city ON directory_organization
    BEGIN
        INSERT INTO directory_organization_words(
            directory_organization_words, rowid, name, summary, description, city)
        VALUES ('delete', old.id, old.name, old.summary, old.description, old.city);
        INSERT INTO directory_organization_words(rowid, name, summary, description, city)
        VALUES (new.id, new.name, new.summary, new.description, new.city);
    END""",
    "INSERT INTO directory_organization_words(directory_organization_words) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS directory_organization_words_insert",
    "DROP TRIGGER IF EXISTS directory_organization_words_delete",
    "DROP TRIGGER IF EXISTS directory_organization_words_update",
    "DROP TABLE IF EXISTS directory_organization_words",
]
# The expression must match directory/queries.py WORDS_VECTOR exactly for the index to be used.
POSTGRES_CREATE = [
    """CREATE INDEX org_words ON directory_organization USING GIN (to_tsvector('simple',
        name || ' ' || summary || ' ' || description || ' ' || city))"""
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS org_words"]


def run(statements):
    def apply(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_public_point_search_indexes")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
