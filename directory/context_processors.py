from django.conf import settings
from django.utils.functional import SimpleLazyObject

from directory import caching


def site(request):
    """Site-wide values every template may use."""
    return {
        "site_name": settings.SITE_NAME,
        "show_sample_notice": settings.SHOW_SAMPLE_NOTICE,
        # Read only by a template that keys a cached fragment on it (the result card).
        "directory_generation": SimpleLazyObject(caching.generation),
    }
