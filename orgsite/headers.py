"""Response headers that Django's SecurityMiddleware does not set."""

from django.conf import settings


def permissions_policy(features):
    """Format {"geolocation": ["self"], "camera": []} as a Permissions-Policy header value."""
    return ", ".join(
        f"{feature}=({' '.join(allow)})" for feature, allow in sorted(features.items())
    )


class PermissionsPolicyMiddleware:
    """Add Permissions-Policy (settings.PERMISSIONS_POLICY) to every response.

    Placed before WhiteNoise, so static files carry it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Formatted once: the setting is fixed for the life of the process.
        self.value = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response
