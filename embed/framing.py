"""Who may frame what. Every page refuses framing (settings: CSP frame-ancestors 'none' and
X-Frame-Options DENY); the widget's frame alone lifts that, for EMBED_FRAME_ANCESTORS."""

import re
from functools import wraps

from csp.decorators import csp_replace
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.clickjacking import xframe_options_exempt

# A CSP source expression: *, 'self', a scheme ("https:"), or a host with optional scheme,
# wildcard subdomain, port and path. Nothing that could end the directive or add another.
SOURCE = re.compile(
    r"^(?:\*|'self'|[a-z][a-z0-9+.-]*:"
    r"|(?:[a-z][a-z0-9+.-]*://)?(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::(?:\d{1,5}|\*))?"
    r"(?:/[^\s;,'\"]*)?)$",
    re.IGNORECASE,
)


def frame_ancestors():
    """The CSP frame-ancestors sources for embed pages: the setting, plus this site."""
    sources = list(settings.EMBED_FRAME_ANCESTORS)
    for source in sources:
        if not SOURCE.match(source):
            raise ImproperlyConfigured(
                f"EMBED_FRAME_ANCESTORS: {source!r} is not a CSP source such as * or "
                "https://blog.example.org."
            )
    return ["'self'", *(s for s in sources if s != "'self'")]


def frameable(view):
    """Let other sites frame this view (and only this view): per the allowlist, read per request."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        policy = {"frame-ancestors": frame_ancestors()}
        response = xframe_options_exempt(csp_replace(policy)(view))(request, *args, **kwargs)
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    return wrapped
