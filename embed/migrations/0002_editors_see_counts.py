"""Curators (the "Editors" group) see the widgets' counts in the admin; nobody may change them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
CODENAMES = ("view_embeddailycount", "view_embedgapcount")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; these need them now.
    config = apps.get_app_config("embed")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _created = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="embed", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=EDITORS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="embed", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("embed", "0001_daily_counts"),
        ("curation", "0002_editors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
