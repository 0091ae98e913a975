import logging

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

logger = logging.getLogger("orgsite.security")


class OrgsiteConfig(AppConfig):
    """Site-wide pieces: the admin's sign-in, security headers and their checks."""

    name = "orgsite"
    verbose_name = "orgsite"

    def ready(self):
        from orgsite import checks  # noqa: F401  (registers the checks)

        if checks.plain_http_production():
            # Said at every start, not only by `check --deploy`: gunicorn runs no checks.
            logger.warning(checks.PLAIN_HTTP_WARNING)


class OrgsiteAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with orgsite.admin_site's site as `admin.site`."""

    default = False  # the app "orgsite" is OrgsiteConfig; this one is named in INSTALLED_APPS
    default_site = "orgsite.admin_site.AdminSite"
