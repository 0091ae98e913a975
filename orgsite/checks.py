"""System checks for the site's own security settings."""

from django.conf import settings
from django.core import checks

PLAIN_HTTP_WARNING = (
    "SECURE=0: serving production over plain HTTP (no HTTPS redirect, no HSTS, cookies not "
    "Secure). Only for a test server on a trusted network; remove SECURE=0 to deploy."
)


def plain_http_production():
    """True when DEBUG is off and HTTPS was switched off on purpose (SECURE=0)."""
    return not settings.DEBUG and not settings.SECURE


@checks.register(checks.Tags.security, deploy=True)
def check_plain_http(app_configs, **kwargs):
    """`check --deploy` names the opt-out, beside Django's own warnings about what it turns off."""
    if plain_http_production():
        return [checks.Warning(PLAIN_HTTP_WARNING, id="orgsite.W001")]
    return []
