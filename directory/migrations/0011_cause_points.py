"""Each group's public point once per cause (CausePoint), kept by the database's triggers.

A ring of a search by cause read every group in its box from the point index and tested each
for the cause: at a million groups, 10,600 index entries to keep 1,008. This table holds the
point under each cause, so a ring reads only groups with the cause, from an index that covers it.

The triggers keep it true on every write, whatever makes it (the ORM, bulk writes, raw SQL):
a cause added to or taken from a group, a group written, changed or removed. On SQLite a later
migration that makes `directory_organization` or its causes' table again (as SQLite's schema
editor does for most changes to a table) drops these triggers: it must run `triggers()` again,
as 0007 does for the full-text index. tests/test_cause_points.py lists them.
"""

import django.db.models.deletion
from django.db import migrations, models

POINT = ("status", "coverage", "coverage_radius", "cell", "public_latitude", "public_longitude")
COLUMNS = ", ".join(POINT)
FROM_GROUP = ", ".join(f"o.{column}" for column in POINT)
SET_FROM_NEW = ", ".join(f"{column} = NEW.{column}" for column in POINT)
INSERT_LINK = (
    f"INSERT INTO directory_causepoint (organization_id, category_id, {COLUMNS}) "
    f"SELECT o.id, NEW.category_id, {FROM_GROUP} FROM directory_organization o "
    "WHERE o.id = NEW.organization_id"
)
DELETE_LINK = (
    "DELETE FROM directory_causepoint "
    "WHERE organization_id = OLD.organization_id AND category_id = OLD.category_id"
)
# A cause linked before its group is written (within one transaction, as constraints are
# checked at its end) is found when the group is.
INSERT_GROUP = (
    f"INSERT INTO directory_causepoint (organization_id, category_id, {COLUMNS}) "
    f"SELECT NEW.id, l.category_id, {', '.join(f'NEW.{column}' for column in POINT)} "
    "FROM directory_organization_causes l WHERE l.organization_id = NEW.id"
)
UPDATE_GROUP = f"UPDATE directory_causepoint SET {SET_FROM_NEW} WHERE organization_id = NEW.id"
DELETE_GROUP = "DELETE FROM directory_causepoint WHERE organization_id = OLD.id"
FILL = (
    f"INSERT INTO directory_causepoint (organization_id, category_id, {COLUMNS}) "
    f"SELECT o.id, l.category_id, {FROM_GROUP} FROM directory_organization_causes l "
    "JOIN directory_organization o ON o.id = l.organization_id"
)

SQLITE_TRIGGERS = [
    "CREATE TRIGGER directory_causepoint_link_insert AFTER INSERT ON "
    f"directory_organization_causes BEGIN {INSERT_LINK}; END",
    "CREATE TRIGGER directory_causepoint_link_delete AFTER DELETE ON "
    f"directory_organization_causes BEGIN {DELETE_LINK}; END",
    "CREATE TRIGGER directory_causepoint_link_update AFTER UPDATE ON "
    f"directory_organization_causes BEGIN {DELETE_LINK}; {INSERT_LINK}; END",
    "CREATE TRIGGER directory_causepoint_group_insert AFTER INSERT ON "
    f"directory_organization BEGIN {INSERT_GROUP}; END",
    "CREATE TRIGGER directory_causepoint_group_update AFTER UPDATE ON "
    f"directory_organization BEGIN {UPDATE_GROUP}; END",
    "CREATE TRIGGER directory_causepoint_group_delete AFTER DELETE ON "
    f"directory_organization BEGIN {DELETE_GROUP}; END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {sql.split()[2]}" for sql in SQLITE_TRIGGERS]
POSTGRES_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION directory_causepoint_link() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN {DELETE_LINK}; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {INSERT_LINK}; END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION directory_causepoint_group() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN {DELETE_GROUP};
        ELSIF TG_OP = 'INSERT' THEN {INSERT_GROUP};
        ELSE {UPDATE_GROUP}; END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER directory_causepoint_link AFTER INSERT OR UPDATE OR DELETE ON "
    "directory_organization_causes FOR EACH ROW EXECUTE FUNCTION directory_causepoint_link()",
    "CREATE TRIGGER directory_causepoint_group AFTER INSERT OR UPDATE OR DELETE ON "
    "directory_organization FOR EACH ROW EXECUTE FUNCTION directory_causepoint_group()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS directory_causepoint_link ON directory_organization_causes",
    "DROP TRIGGER IF EXISTS directory_causepoint_group ON directory_organization",
    "DROP FUNCTION IF EXISTS directory_causepoint_link()",
    "DROP FUNCTION IF EXISTS directory_causepoint_group()",
]


def triggers(apps, schema_editor):
    """The triggers (again, if they were there), and the table filled from the causes."""
    postgres = schema_editor.connection.vendor == "postgresql"
    drop, create = (
        (POSTGRES_DROP, POSTGRES_TRIGGERS) if postgres else (SQLITE_DROP, SQLITE_TRIGGERS)
    )
    for sql in [*drop, *create, "DELETE FROM directory_causepoint", FILL]:
        schema_editor.execute(sql)


def no_triggers(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_DROP if postgres else SQLITE_DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0010_statewide_index_holds_the_country'),
    ]

    operations = [
        migrations.CreateModel(
            name='CausePoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=10)),
                ('coverage', models.CharField(max_length=10)),
                ('coverage_radius', models.PositiveSmallIntegerField(null=True)),
                ('cell', models.IntegerField(null=True)),
                ('public_latitude', models.FloatField(null=True)),
                ('public_longitude', models.FloatField(null=True)),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='directory.category')),
                ('organization', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='directory.organization')),
            ],
            options={
                'indexes': [models.Index(fields=['category', 'status', 'cell', 'public_latitude', 'public_longitude', 'coverage', 'coverage_radius', 'organization'], name='causepoint_search')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'category'), name='causepoint_once')],
            },
        ),
        migrations.RunPython(triggers, no_triggers),
    ]
