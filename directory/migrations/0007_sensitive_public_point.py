"""A sensitive entry's public point is coarse (one decimal, about city level).

The public point and its longitude band are computed by the database, and no database can change
a generated column's expression in place: the search index that reads them is dropped, the three
columns are made again from the new expression (the database fills them from the private point),
and the index is built again.

SQLite makes such a table again from scratch, which drops the triggers that keep its full-text
index (migration 0004) in step with the groups: they are made again afterwards, and the index
rebuilt, both ways. (Migration 0006 remade the table too, so this also mends databases it left
without them.)
"""

import importlib

import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from django.db import migrations, models

import directory.geo


def public(name):
    # Frozen here, not read from directory.geo, so that this migration means the same forever.
    return models.Case(
        models.When(sensitive=True, then=directory.geo.RoundTo(models.F(name), 1)),
        models.When(
            models.Q(("address_public", True), ("precision", "exact")), then=models.F(name)
        ),
        default=directory.geo.RoundTo(models.F(name), 2),
        output_field=models.FloatField(),
    )


WORDS = importlib.import_module("directory.migrations.0004_words_index")
WORDS_TRIGGERS = [sql for sql in WORDS.SQLITE_CREATE if sql.startswith("CREATE TRIGGER")]
WORDS_REBUILD = [sql for sql in WORDS.SQLITE_CREATE if "'rebuild'" in sql]
WORDS_TRIGGERS_DROP = [sql for sql in WORDS.SQLITE_DROP if sql.startswith("DROP TRIGGER")]


def words_triggers(apps, schema_editor):
    """SQLite: the full-text index's triggers, made again, and the index rebuilt."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in WORDS_TRIGGERS_DROP + WORDS_TRIGGERS + WORDS_REBUILD:
        schema_editor.execute(sql)


SEARCH_INDEX = models.Index(
    fields=[
        "status",
        "cell",
        "public_latitude",
        "public_longitude",
        "coverage",
        "coverage_radius",
    ],
    name="org_search_point",
)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_organization_sensitive_events_feed"),
    ]

    operations = [
        # Undone last, after the table is made again the old way.
        migrations.RunPython(migrations.RunPython.noop, words_triggers),
        migrations.RemoveIndex(model_name="organization", name="org_search_point"),
        migrations.RemoveField(model_name="organization", name="cell"),
        migrations.RemoveField(model_name="organization", name="public_latitude"),
        migrations.RemoveField(model_name="organization", name="public_longitude"),
        migrations.AddField(
            model_name="organization",
            name="public_latitude",
            field=models.GeneratedField(
                db_persist=True,
                expression=public("latitude"),
                output_field=models.FloatField(),
                verbose_name="public latitude",
            ),
        ),
        migrations.AddField(
            model_name="organization",
            name="public_longitude",
            field=models.GeneratedField(
                db_persist=True,
                expression=public("longitude"),
                output_field=models.FloatField(),
                verbose_name="public longitude",
            ),
        ),
        migrations.AddField(
            model_name="organization",
            name="cell",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            public("longitude"), "*", models.Value(10)
                        )
                    ),
                    models.IntegerField(),
                ),
                output_field=models.IntegerField(),
            ),
        ),
        migrations.AddIndex(model_name="organization", index=SEARCH_INDEX),
        migrations.RunPython(words_triggers, migrations.RunPython.noop),
    ]
