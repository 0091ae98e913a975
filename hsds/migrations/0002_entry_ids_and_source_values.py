import uuid

import django.db.models.deletion
from django.db import migrations, models

# The id scheme of hsds/ids.py, written out so that this migration keeps working if that changes.
NAMESPACE = uuid.UUID("4c4e5c52-9d1d-4fe6-ba01-d498b3312192")
KINDS = ("service", "location", "service_at_location")


def store_ids(apps, schema_editor):
    """The HSDS ids of every entry there already is."""
    Organization = apps.get_model("directory", "Organization")
    EntryIds = apps.get_model("hsds", "EntryIds")
    rows = []
    for pk, slug, recorded in Organization.objects.values_list(
        "pk", "slug", "hsds_record__hsds_id"
    ).iterator():
        base = recorded or uuid.uuid5(NAMESPACE, f"organization:{slug}")
        rows.append(
            EntryIds(
                organization_id=pk,
                slug=slug,
                recorded=recorded,
                organization_uuid=base,
                **{f"{kind}_uuid": uuid.uuid5(base, kind) for kind in KINDS},
            )
        )
    EntryIds.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        ("hsds", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EntryIds",
            fields=[
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="hsds_ids",
                        serialize=False,
                        to="directory.organization",
                    ),
                ),
                ("slug", models.CharField(max_length=220)),
                ("recorded", models.UUIDField(null=True)),
                ("organization_uuid", models.UUIDField(db_index=True)),
                ("service_uuid", models.UUIDField(db_index=True)),
                ("location_uuid", models.UUIDField(db_index=True)),
                ("service_at_location_uuid", models.UUIDField(db_index=True)),
            ],
            options={
                "verbose_name": "HSDS ids of an entry",
                "verbose_name_plural": "HSDS ids of entries",
            },
        ),
        migrations.RunPython(store_ids, migrations.RunPython.noop, elidable=True),
        # What the source said, field by field, replaces a hash of all of it.
        migrations.RemoveField(model_name="externalrecord", name="fingerprint"),
        migrations.AddField(
            model_name="externalrecord",
            name="source_modified",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="externalrecord",
            name="source_values",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
