"""Settings for orgsite, read from environment variables with a zero-config local default.

Every variable is read once, here. The README's "Configuration" section lists them all.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from orgsite.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ORGSITE_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)
# Production is anything without DEBUG: it must be configured on purpose.
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "insecure-local-development-key-do-not-deploy"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
elif not SECRET_KEY or not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "SECRET_KEY and ALLOWED_HOSTS must be set when DEBUG is off. "
        "For local work, set DEBUG=1 (make run does)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Causes' names and descriptions in each language (directory/translation.py); before the
    # admin, so that the admin's forms see the translated fields.
    "modeltranslation",
    # The admin, with two-factor sign-in (orgsite/admin_site.py).
    "orgsite.apps.OrgsiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "orgsite",
    "abuse",
    "directory",
    "curation",
    "referrals",
    "embed",
    "alerts",
    "api",
    "hsds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # ETags on every page, and 304s for a browser or CDN that already has the answer.
    "django.middleware.http.ConditionalGetMiddleware",
    "orgsite.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sheds requests whose client has gone; turns database and cache outages into 503s.
    "orgsite.outage.LoadSheddingMiddleware",
    "orgsite.outage.OutageMiddleware",
    # Kept whole answers for anonymous readers, before the middleware they do not need.
    "directory.caching.PublicResponseCache",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "orgsite.i18n.PreferredLanguageMiddleware",
    # A 413 page for an over-large upload, in the reader's language, before anything reads it.
    "orgsite.uploads.UploadLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orgsite.urls"
WSGI_APPLICATION = "orgsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "directory.context_processors.site",
                "orgsite.i18n.languages",
                "directory.share.context",
            ],
        },
    },
]

# A database that is down or stuck must fail a request quickly (the reader then gets a 503 that
# gives their words back), not hang it until the WSGI server kills the worker. Seconds; 0 is off.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 15)
# SQLite lets one writer at a time; others wait this long for the lock. Longer than any import's
# transaction (they commit in batches), so a contact message waits instead of failing.
SQLITE_BUSY_TIMEOUT = env_int("SQLITE_BUSY_TIMEOUT", 20)
# SQLite: megabytes of the database each connection keeps in memory (SQLite's default is 2).
# A search reads a few thousand index entries scattered over the file: at a million groups a
# larger cache cut the listed blocks' reads by 40% (docs/benchmarks-notes.md).
SQLITE_CACHE_MB = env_int("SQLITE_CACHE_MB", 64)
if SQLITE_CACHE_MB < 1:
    raise ImproperlyConfigured(f"SQLITE_CACHE_MB must be at least 1, not {SQLITE_CACHE_MB}.")
# PostgreSQL: a pool of connections per process (psycopg_pool) instead of one persistent
# connection per thread; docs/deploy.md compares the two.
DATABASE_POOL = env_bool("DATABASE_POOL", default=False)
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 4)
# Read replicas: reads go to one of these (orgsite/routers.py), writes to DATABASE_URL.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")


def _database(url):
    """One database's settings: persistent connections or a pool, timeouts, SQLite's WAL."""
    config = dj_database_url.parse(
        url,
        conn_max_age=0 if DATABASE_POOL else env_int("CONN_MAX_AGE", 60),
        conn_health_checks=not DATABASE_POOL,
    )
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        options.update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT,
                # WAL: readers never wait for the writer, and the writer never waits for readers.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024};",
            }
        )
    elif config["ENGINE"] == "django.db.backends.postgresql":
        if DATABASE_CONNECT_TIMEOUT:
            options["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
        if DATABASE_STATEMENT_TIMEOUT:
            options["options"] = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}"
        if DATABASE_POOL:
            options["pool"] = {"min_size": 1, "max_size": DATABASE_POOL_SIZE, "timeout": 10}
    return config


# SQLite by default; DATABASE_URL (postgres://...) for PostgreSQL. Connections persist across
# requests: a new PostgreSQL connection per request cost about 5x in throughput.
DATABASES = {"default": _database(env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
for _number, _url in enumerate(DATABASE_REPLICA_URLS, 1):
    # In tests a replica is the default database seen through another connection.
    DATABASES[f"replica{_number}"] = {**_database(_url), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["orgsite.routers.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "orgsite",
            # A Redis that is down or hung costs a request half a second, then the rate limits
            # count in the database instead (abuse.limits).
            "OPTIONS": {
                "socket_connect_timeout": env_int("REDIS_TIMEOUT_MS", 500) / 1000,
                "socket_timeout": env_int("REDIS_TIMEOUT_MS", 500) / 1000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rendered result cards are kept in each process's memory, whatever the shared cache: they are
# cheap to redo, keyed on the directory's generation, and must not fail when Redis does.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 20000},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English is the source language and has no URL prefix; every other language is the set of
# catalogs in locale/ (locale/<code>/LC_MESSAGES/django.mo), served under /<code>/. A third
# language is a translation-only change: `make messages LANG=<code>`, translate, compile, commit.
LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("en", _("English"))] + [
    (path.parent.parent.name, _(LANG_INFO[path.parent.parent.name]["name"]))
    for path in sorted(LOCALE_PATHS[0].glob("*/LC_MESSAGES/django.mo"))
    if path.parent.parent.name in LANG_INFO and path.parent.parent.name != "en"
]
# Translated model fields (causes' names and descriptions) have one column per language, so their
# languages are listed here rather than read from locale/: a third one needs a migration too
# (README, Languages). A cause not yet translated shows its English name.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "es")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# The language cookie is the only cookie a public page can cause: it records a reader's choice
# in the switcher, for a year, and is sent only to this site.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Numbers and dates per language; Spanish follows the Americas (orgsite/formats/es).
FORMAT_MODULE_PATH = ["orgsite.formats"]
TIME_ZONE = env_str("TIME_ZONE") or "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the site-wide stylesheet, script and icons
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "orgsite.storage.MinifiedStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Mail: the console backend locally; SMTP (or any backend) in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "orgsite <noreply@example.org>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security headers. Production (DEBUG off) is HTTPS-only, behind a TLS terminator that sets
# X-Forwarded-Proto. SECURE=0 turns that off for a plain-http test server, and every start then
# says so in a warning (orgsite/checks.py).
SECURE = env_bool("SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_SSL_REDIRECT = SECURE
# Where plain-http requests are redirected ("host" or "host:port"); empty: the host they named.
SECURE_SSL_HOST = env_str("SECURE_SSL_HOST") or None
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
# Preloading binds the whole registrable domain, for months, in every browser: the operator's
# call (SECURE_HSTS_PRELOAD=1), so `check --deploy` is not asked to nag about it otherwise.
SECURE_HSTS_PRELOAD = SECURE and env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Sent on every response (orgsite/headers.py): "use my location" is the one browser feature a
# page asks for, and only for this site's own pages; the others are off everywhere.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    **dict.fromkeys(
        [
            "accelerometer",
            "autoplay",
            "bluetooth",
            "browsing-topics",
            "camera",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "gamepad",
            "gyroscope",
            "hid",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "picture-in-picture",
            "publickey-credentials-get",
            "screen-wake-lock",
            "serial",
            "usb",
            "web-share",
            "xr-spatial-tracking",
        ],
        [],
    ),
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# The map's tile server is the only third party a page may talk to; empty turns tiles off.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)


def _tile_origin(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}.", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


_TILE_ORIGIN = _tile_origin(MAP_TILE_URL)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"] + ([_TILE_ORIGIN] if _TILE_ORIGIN else []),
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Offline geocoding: a compact lookup built once by `manage.py build_geocoder`.
GEOCODER_DATA = Path(env_str("GEOCODER_DATA") or VAR_DIR / "geocoder.pickle")
# "nominatim" chains Nominatim (geopy) after the offline lookup; needs internet. Empty: offline.
GEOCODER_ONLINE = env_str("GEOCODER_ONLINE")
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT") or "orgsite"

# Search.
SEARCH_DEFAULT_RADIUS = env_int("SEARCH_DEFAULT_RADIUS", 25)
SEARCH_MAX_RADIUS = 3000
# Each block of results shows this many groups first, and "Show more" up to the maximum; totals
# are counted exactly up to the cap and shown as "50+" beyond it (counting further costs more).
SEARCH_BLOCK_LIMIT = env_int("SEARCH_BLOCK_LIMIT", 10)
SEARCH_BLOCK_MAX = 50
SEARCH_COUNT_CAP = env_int("SEARCH_COUNT_CAP", 50)
# Search outcomes, and whole public answers to readers without a session, are kept this many
# seconds in the cache (0: not cached); any change to a group or a cause makes every kept answer
# stale at once (directory/caching.py).
SEARCH_CACHE_SECONDS = env_int("SEARCH_CACHE_SECONDS", 60)
# Beyond this many miles the nearest local group is out of reach: the page says so, shows the
# groups joinable from anywhere first, and offers to suggest a group or to alert the reader.
SEARCH_FAR_MILES = env_int("SEARCH_FAR_MILES", 100)
# Locales whose readers read distances in kilometres first.
DISTANCE_KM_LOCALES = ["es"]

SITE_NAME = env_str("SITE_NAME") or "orgsite"
# The public origin, for absolute links made outside a request (emails sent by commands,
# HSDS exports). Within a request, links come from the request itself.
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
# The sample data set is fictional; the banner says so until real entries replace it.
SHOW_SAMPLE_NOTICE = env_bool("SHOW_SAMPLE_NOTICE", default=True)
# The address the privacy page gives for erasure requests (`manage.py erase_person`).
PRIVACY_CONTACT = env_str("PRIVACY_CONTACT")

# Django caps a body's form fields (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) but not its files: a
# multipart body larger than UPLOAD_MAX_MB in all is refused with a 413 page, unread
# (orgsite/uploads.py). Files up to FILE_UPLOAD_MAX_MEMORY_SIZE are held in memory, larger ones
# in a temporary file. The largest upload is a curator's CSV import.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 50) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Abuse controls (abuse/): every public form's limits, the relay's and curation's alike. ---
# Key for hashing client addresses (never stored raw); empty derives one from SECRET_KEY.
# REFERRALS_HASH_KEY, its name before it covered curation too, is still read.
CLIENT_HASH_KEY = env_str("CLIENT_HASH_KEY") or env_str("REFERRALS_HASH_KEY")
# Behind a proxy that appends the client to a header (e.g. HTTP_X_FORWARDED_FOR), name it here;
# the last entry is used. Empty: REMOTE_ADDR. REFERRALS_CLIENT_IP_HEADER is still read.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER") or env_str("REFERRALS_CLIENT_IP_HEADER")

# --- Curation (curation/): suggestions, reports, history, imports, freshness. ---
# Organizers are asked to confirm their entry once it was last verified this many months ago;
# entries unverified for the second number are flagged in the admin and shown lower in search.
CURATION_RECONFIRM_AFTER_MONTHS = env_int("CURATION_RECONFIRM_AFTER_MONTHS", 6)
CURATION_STALE_AFTER_MONTHS = env_int("CURATION_STALE_AFTER_MONTHS", 12)
# The emailed confirmation link works this long; a new one is not sent sooner than this.
CURATION_RECONFIRM_VALID_DAYS = env_int("CURATION_RECONFIRM_VALID_DAYS", 30)
# "Suggest a group" and "report a problem": accepted forms per client address per window
# (seconds), counted in the cache like the contact form's limits.
CURATION_CLIENT_LIMIT = env_int("CURATION_CLIENT_LIMIT", 10)
CURATION_CLIENT_WINDOW = env_int("CURATION_CLIENT_WINDOW", 3600)
# A form sent sooner than this after it was shown is a robot; later than the maximum, stale.
CURATION_FORM_MIN_SECONDS = env_int("CURATION_FORM_MIN_SECONDS", 3)
CURATION_FORM_MAX_SECONDS = env_int("CURATION_FORM_MAX_SECONDS", 86400)
# The largest CSV an import accepts, in rows.
CURATION_IMPORT_MAX_ROWS = env_int("CURATION_IMPORT_MAX_ROWS", 200000)

# --- Alerts (alerts/): "tell me when a group near me is listed", by email, double opt-in. ---
# An unconfirmed alert's link works, and its address is kept, this many days; a confirmed alert
# ends, and its address is deleted, this many days after confirmation (purge_alerts).
ALERTS_CONFIRM_DAYS = env_int("ALERTS_CONFIRM_DAYS", 7)
ALERTS_RETENTION_DAYS = env_int("ALERTS_RETENTION_DAYS", 365)
# Alerts asked for one address per CURATION_CLIENT_WINDOW, whoever asks: nobody can use the site
# to fill a stranger's inbox with confirmation mails.
ALERTS_EMAIL_LIMIT = env_int("ALERTS_EMAIL_LIMIT", 3)

# --- Referrals (referrals/): the contact relay. ---
# Accepted messages per client address (an IPv6 client by its /64) and per group, each per window
# (seconds). Counted in Redis when REDIS_URL is set, in the database otherwise or while Redis is
# down: shared by every app server and kept across restarts either way.
REFERRALS_CLIENT_LIMIT = env_int("REFERRALS_CLIENT_LIMIT", 5)
REFERRALS_CLIENT_WINDOW = env_int("REFERRALS_CLIENT_WINDOW", 3600)
REFERRALS_ORG_LIMIT = env_int("REFERRALS_ORG_LIMIT", 30)
REFERRALS_ORG_WINDOW = env_int("REFERRALS_ORG_WINDOW", 86400)
# A form sent sooner than this after it was shown is a robot; later than the maximum, stale.
REFERRALS_FORM_MIN_SECONDS = env_int("REFERRALS_FORM_MIN_SECONDS", 3)
REFERRALS_FORM_MAX_SECONDS = env_int("REFERRALS_FORM_MAX_SECONDS", 86400)
# The same message from the same address to the same group within this time is not stored twice.
REFERRALS_DUPLICATE_MINUTES = env_int("REFERRALS_DUPLICATE_MINUTES", 10)
REFERRALS_MESSAGE_MAX_LENGTH = 5000
# Bodies and readers' addresses are erased this long after a message was written.
REFERRALS_RETENTION_DAYS = env_int("REFERRALS_RETENTION_DAYS", 90)
# "Did the group get back to you?": sent this long after delivery; its links work this long.
REFERRALS_FOLLOWUP_DAYS = env_int("REFERRALS_FOLLOWUP_DAYS", 7)
REFERRALS_FOLLOWUP_VALID_DAYS = env_int("REFERRALS_FOLLOWUP_VALID_DAYS", 30)
# "Usually replies" is shown with at least this many answers and this share of yeses.
REFERRALS_REPLIES_MIN_ANSWERS = env_int("REFERRALS_REPLIES_MIN_ANSWERS", 5)
REFERRALS_REPLIES_MIN_PERCENT = env_int("REFERRALS_REPLIES_MIN_PERCENT", 60)
# Off by default: the worker (`manage.py deliver_messages --loop`) sends every stored message
# within its interval, so a reader never waits on the mail server. On, delivery is also tried in
# the request right after the message is stored, with its own short timeout (seconds): a hung
# mail server then costs each contact POST that long, not EMAIL_TIMEOUT.
REFERRALS_DELIVER_AT_ONCE = env_bool("REFERRALS_DELIVER_AT_ONCE", default=False)
# A message is held until its reader confirms their address by a mailed link, so nobody can have
# an organizer's reply sent to someone else; held messages never confirmed are erased after
# REFERRALS_CONFIRM_VALID_DAYS (purge_referrals), when the link stops working.
REFERRALS_CONFIRM_READERS = env_bool("REFERRALS_CONFIRM_READERS", default=True)
REFERRALS_CONFIRM_VALID_DAYS = env_int("REFERRALS_CONFIRM_VALID_DAYS", 7)
REFERRALS_REQUEST_EMAIL_TIMEOUT = env_int("REFERRALS_REQUEST_EMAIL_TIMEOUT", 3)


def _delays(name, default):
    raw = env_list(name)
    try:
        delays = [int(item) for item in raw]
    except ValueError:
        delays = []
    if raw and (not delays or min(delays) < 1):
        raise ImproperlyConfigured(
            f"{name} must be whole seconds separated by commas (e.g. 60,300,900), not {raw!r}."
        )
    return delays or default


# Seconds to wait before each retry; after the last one fails the message is marked failed
# (about two days in all by default) and waits for a curator's "resend".
REFERRALS_RETRY_DELAYS = _delays(
    "REFERRALS_RETRY_DELAYS", [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600]
)
# Each client may use this many of a group's REFERRALS_ORG_LIMIT messages per window, so a few
# clients cannot fill a group's daily cap and silence its relay (a tenth, at least one).
REFERRALS_ORG_CLIENT_LIMIT = env_int(
    "REFERRALS_ORG_CLIENT_LIMIT", max(1, REFERRALS_ORG_LIMIT // 10)
)
# The worker backs off after a database or unexpected error: doubling from --interval up to this
# many seconds, and it never exits on one. Readiness calls it stale after this many seconds.
REFERRALS_WORKER_MAX_BACKOFF = env_int("REFERRALS_WORKER_MAX_BACKOFF", 60)
REFERRALS_WORKER_STALE_SECONDS = env_int("REFERRALS_WORKER_STALE_SECONDS", 300)
# A message claimed by a worker that died is claimed again after this many seconds.
REFERRALS_CLAIM_SECONDS = max(EMAIL_TIMEOUT * 3, 120)

# --- Embedding (embed/): the widget, its frame and oEmbed. ---
# Who may frame the /embed/ pages (CSP frame-ancestors sources): "*" for any site, or a list such
# as "https://blog.example.org,https://*.substack.com". The site itself may always frame them (the
# builder's preview). Every other page refuses framing whatever this says.
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", ["*"])

# --- API (api/) and Open Referral HSDS (hsds/). ---

# The API is read-only and anonymous: no sessions, no CSRF, JSON only, and errors in one shape.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # `format` is a parameter of the HSDS API, not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "orgsite API",
    "DESCRIPTION": "Read-only JSON access to the directory of local organizing groups.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.describe_query_parameters",
    ],
}
API_PAGE_SIZE = 20
API_MAX_PAGE_SIZE = 100
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", 300)
# The official HSDS 3.0 schemas (CC BY-SA 4.0, Open Referral), kept unmodified outside the repo:
# an extra layer of validation when a copy is there (docs/hsds.md says how to get one). Unset, a
# sibling ../shared/hsds/schema is used if it exists; with none, HSDS works on its own checks.
_SHARED_HSDS_SCHEMAS = BASE_DIR.parent / "shared" / "hsds" / "schema"
HSDS_SCHEMA_DIR = env_str("HSDS_SCHEMA_DIR") or (
    str(_SHARED_HSDS_SCHEMAS) if _SHARED_HSDS_SCHEMAS.is_dir() else ""
)
HSDS_PAGE_SIZE = 50
HSDS_MAX_PAGE_SIZE = 500

# --- Outages (orgsite/outage.py). ---
# While the database or cache is down, pages answer 503 with this Retry-After (seconds).
OUTAGE_RETRY_AFTER = env_int("OUTAGE_RETRY_AFTER", 30)
# Load shedding: a GET that waited longer than this in the proxy's queue (the proxy's
# X-Request-Start header, "t=<epoch seconds|ms|us>") is answered 503 at once, since its reader
# has likely given up. 0 turns it off. Requests whose client already hung up are always shed.
SHED_QUEUED_SECONDS = env_int("SHED_QUEUED_SECONDS", 0)

# --- Admin (orgsite/admin_site.py): the curators' keys to the directory. ---
# Its address, as a path without the leading slash. An unguessable one keeps most robots away.
ADMIN_PATH = env_str("ADMIN_PATH", "admin/").strip("/") + "/"
if ADMIN_PATH == "/":
    raise ImproperlyConfigured('ADMIN_PATH must name a path, such as "admin/".')
# Two-factor sign-in (django-otp, TOTP apps and backup codes): staff who set up a device must use
# it; superusers must have one (`manage.py add_totp_device USERNAME`). Not with DEBUG, so that
# `make run`'s local admin signs in with the password it was given.
ADMIN_REQUIRE_SUPERUSER_OTP = not DEBUG
OTP_TOTP_ISSUER = SITE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Wrong passwords (and wrong codes) are counted per username *and* client (django-axes, in the
# database, so every worker shares the count): after ADMIN_LOGIN_ATTEMPTS failures that pair must
# wait ADMIN_LOCKOUT_MINUTES. Counting by client or by username alone would let anyone lock a
# curator out. Clients are stored as keyed hashes, never as addresses.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_ATTEMPTS", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "orgsite.admin_site.lockout_client"
AXES_DISABLE_ACCESS_LOG = True
# Staff sessions last a working day (public pages keep no session).
SESSION_COOKIE_AGE = 8 * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "WARNING"},
}
