from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_save


class HsdsConfig(AppConfig):
    name = "hsds"

    def ready(self):
        from directory.models import Organization
        from hsds.models import ExternalRecord

        # An entry's stored HSDS ids follow its slug and its import record. They are derived
        # data of another app's model, written from many places (admin, curation, seeds,
        # imports), so one receiver keeps them rather than every write path remembering to;
        # bulk writes, which send no signal, are caught up by ids.repair() on a lookup's miss.
        post_save.connect(_entry_saved, sender=Organization, dispatch_uid="hsds-entry-ids")
        post_save.connect(_record_saved, sender=ExternalRecord, dispatch_uid="hsds-record-ids")
        checks.register(_schemas_check)


def _entry_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields is None or "slug" in update_fields:
        from hsds import ids

        ids.remember([instance.pk])


def _record_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields is None or "hsds_id" in update_fields:
        from hsds import ids

        ids.remember([instance.organization_id])


def _schemas_check(app_configs, **kwargs):
    """HSDS_SCHEMA_DIR, when set, must hold the schemas (unset is fine: they are optional)."""
    from hsds import schemas

    try:
        schemas.schema_dir()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="hsds.E001")]
    return []
