"""Settings for the test suite: production-like (DEBUG off) and blind to a developer's environment.

Only DATABASE_URL passes through, so the same suite runs on SQLite and on PostgreSQL.
"""

import os

_KEEP = {"DATABASE_URL"}
_OWN = {
    "SECRET_KEY": "test-only-secret-key-not-for-production",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "MAP_TILE_URL": "",
    # Plain http, as the test client speaks (tests of HTTPS behaviour turn it on themselves).
    "SECURE": "0",
}
# Every variable the settings read: by prefix for the apps' groups, by name for the rest.
_PREFIXES = (
    "REFERRALS_",
    "CURATION_",
    "EMBED_",
    "API_",
    "HSDS_",
    "GEOCODER_",
    "SEARCH_",
    "EMAIL_",
    "MAP_",
    "ADMIN_",
    "ALERTS_",
)
_NAMES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "REDIS_URL",
    "SECURE",
    "SHOW_SAMPLE_NOTICE",
    "PRIVACY_CONTACT",
    "ORGSITE_VAR_DIR",
    "CONN_MAX_AGE",
    "SITE_NAME",
    "TIME_ZONE",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
    "SITE_URL",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_HOST",
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "DATABASE_POOL",
    "DATABASE_POOL_SIZE",
    "DATABASE_REPLICA_URLS",
    "SQLITE_BUSY_TIMEOUT",
    "SQLITE_CACHE_MB",
    "REDIS_TIMEOUT_MS",
    "OUTAGE_RETRY_AFTER",
    "SHED_QUEUED_SECONDS",
    "CLIENT_HASH_KEY",
    "CLIENT_IP_HEADER",
    "UPLOAD_MAX_MB",
}
for _name in list(os.environ):
    if _name not in _KEEP and (_name in _NAMES or _name.startswith(_PREFIXES)):
        del os.environ[_name]
os.environ.update(_OWN)

from orgsite.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# The relay's delivery tests start from a reader who has confirmed their address; the
# confirmation itself is tested with it on (tests/test_referrals_confirm.py).
REFERRALS_CONFIRM_READERS = False
# Searches are computed afresh in every test; the cache's own tests switch it on.
SEARCH_CACHE_SECONDS = 0
# Rendered cards are not kept either: ids are reused after a test's rollback on SQLite.
CACHES = {
    **CACHES,  # noqa: F405
    "template_fragments": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
