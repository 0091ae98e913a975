"""Where imported entries came from, so a second import updates instead of duplicating."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Organization


class ImportRun(models.Model):
    """One `import_hsds` run that wrote to the database: what it read and what it did."""

    started = models.DateTimeField(_("started"), default=timezone.now)
    path = models.CharField(_("file or folder"), max_length=500)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    pending = models.PositiveIntegerField(_("imported as pending"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    report = models.TextField(_("report"), blank=True)

    class Meta:
        ordering = ["-started"]
        verbose_name = _("HSDS import")
        verbose_name_plural = _("HSDS imports")

    def __str__(self):
        return f"{self.path} ({self.started:%Y-%m-%d %H:%M})"


class ExternalRecord(models.Model):
    """An entry made from an HSDS organization (at one of its locations), and its HSDS id."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="hsds_record",
        verbose_name=_("organization"),
    )
    hsds_id = models.UUIDField(
        _("HSDS id"), unique=True, help_text=_("The organization id this entry has in exports.")
    )
    source_organization_id = models.CharField(_("source organization id"), max_length=36)
    source_location_id = models.CharField(_("source location id"), max_length=36, blank=True)
    problems = models.TextField(
        _("problems"), blank=True, help_text=_("Why the entry was imported as pending.")
    )
    # What the source said last time, field by field: only a field the source changes is
    # written again, so a curator's edits survive, and a field a document leaves out is kept.
    source_values = models.JSONField(default=dict, blank=True, editable=False)
    # The newest `last_modified` imported: an older document changes nothing.
    source_modified = models.DateTimeField(null=True, blank=True, editable=False)
    first_run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    last_run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, related_name="records", editable=False
    )

    class Meta:
        verbose_name = _("imported HSDS record")
        verbose_name_plural = _("imported HSDS records")
        constraints = [
            models.UniqueConstraint(
                fields=["source_organization_id", "source_location_id"],
                name="hsds_record_source_unique",
            )
        ]

    def __str__(self):
        return f"{self.source_organization_id} → {self.organization_id}"


class EntryIds(models.Model):
    """The HSDS ids of one entry, stored so that finding an entry by an id is one indexed query.

    They are made, not chosen (hsds/ids.py): from the id the entry was imported under, else from
    its slug. `ids.remember()` keeps them; a rename or a new entry that no save told about (a
    bulk import) is found and stored on the first lookup that misses.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="hsds_ids"
    )
    # What the ids were made from, to tell when they are out of date.
    slug = models.CharField(max_length=220)
    recorded = models.UUIDField(null=True)
    # Indexed, not unique: an imported id could in theory equal the id made from a slug another
    # entry takes later, and that must not make the other entry's save fail.
    organization_uuid = models.UUIDField(db_index=True)
    service_uuid = models.UUIDField(db_index=True)
    location_uuid = models.UUIDField(db_index=True)
    service_at_location_uuid = models.UUIDField(db_index=True)

    class Meta:
        verbose_name = _("HSDS ids of an entry")
        verbose_name_plural = _("HSDS ids of entries")

    def __str__(self):
        return f"{self.organization_id}: {self.organization_uuid}"
