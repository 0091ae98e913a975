"""The production settings, plus the naive reference's URL. The harness sets the environment
(no DEBUG, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, ORGSITE_VAR_DIR) before this is imported."""

from orgsite.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
