"""The "Editors" group: curators who keep entries and queues, but manage no users or settings."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
PERMISSIONS = {
    "directory": {
        "organization": ("view", "add", "change"),
        "category": ("view", "add", "change"),
        "historicalorganization": ("view", "change"),
        "historicalcategory": ("view", "change"),
    },
    "curation": {
        "suggestion": ("view", "change"),
        "report": ("view", "change"),
        "proposal": ("view", "change"),
        "reconfirmation": ("view",),
    },
}


def create_editors(apps, schema_editor):
    # Permissions are normally created after all migrations; these need them now.
    for app_label in PERMISSIONS:
        config = apps.get_app_config(app_label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _created = Group.objects.get_or_create(name=EDITORS)
    for app_label, models in PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            editors.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("directory", "0002_history_version_external_id"),
        ("curation", "0001_queues"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
