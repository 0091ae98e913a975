"""What the privacy page states, from the settings of every app (erasing is curation.privacy)."""

import math
from urllib.parse import urlsplit

from django.conf import settings


def privacy_facts():
    """What the privacy page states, from the settings in force (so the page cannot drift)."""
    windows = [
        settings.REFERRALS_CLIENT_WINDOW,
        settings.REFERRALS_ORG_WINDOW,
        settings.CURATION_CLIENT_WINDOW,
    ]
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    tiles = (
        urlsplit(settings.MAP_TILE_URL.replace("{s}.", "")).hostname
        if settings.MAP_TILE_URL
        else ""
    )
    return {
        "retention_days": settings.REFERRALS_RETENTION_DAYS,
        "confirm_readers": settings.REFERRALS_CONFIRM_READERS,
        "confirm_days": settings.REFERRALS_CONFIRM_VALID_DAYS,
        "alerts_confirm_days": settings.ALERTS_CONFIRM_DAYS,
        "alerts_retention_days": settings.ALERTS_RETENTION_DAYS,
        "followup_days": settings.REFERRALS_FOLLOWUP_DAYS,
        "limit_hours": math.ceil(max(windows) / 3600),
        "reconfirm_months": settings.CURATION_RECONFIRM_AFTER_MONTHS,
        "lockout_minutes": math.ceil(cooloff.total_seconds() / 60) if cooloff else 0,
        "geocoder_online": (
            "OpenStreetMap Nominatim" if settings.GEOCODER_ONLINE == "nominatim" else ""
        ),
        "tile_host": tiles or "",
        "privacy_contact": settings.PRIVACY_CONTACT,
    }
