from django.conf import settings


def site(request):
    """Site-wide values every template may use."""
    return {
        "site_name": settings.SITE_NAME,
        "show_sample_notice": settings.SHOW_SAMPLE_NOTICE,
    }
