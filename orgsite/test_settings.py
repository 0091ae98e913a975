"""Settings for the test suite: production-like (DEBUG off) and blind to a developer's environment.

Only DATABASE_URL passes through, so the same suite runs on SQLite and on PostgreSQL.
"""

import os

_KEEP = {"DATABASE_URL"}
_OWN = {
    "SECRET_KEY": "test-only-secret-key-not-for-production",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "MAP_TILE_URL": "",
}
for _name in (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "REDIS_URL",
    "EMAIL_BACKEND",
    "SECURE",
    "MAP_TILE_URL",
    "GEOCODER_ONLINE",
    "GEOCODER_DATA",
    "SHOW_SAMPLE_NOTICE",
    "ORGSITE_VAR_DIR",
    "CONN_MAX_AGE",
    "SEARCH_DEFAULT_RADIUS",
    "SEARCH_BLOCK_LIMIT",
    "SITE_NAME",
    "TIME_ZONE",
):
    if _name not in _KEEP:
        os.environ.pop(_name, None)
os.environ.update(_OWN)

from orgsite.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
