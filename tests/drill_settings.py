"""Settings for the outage drills' own processes (tests/outages.py): production, from the drill's
environment, except that static files need no collectstatic manifest."""

from orgsite.settings import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
