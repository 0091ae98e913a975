"""What every read-only API response shares: open CORS, public caching and ETags with 304s."""

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from rest_framework.views import APIView

from orgsite.jsonedge import open_to_any_origin


class ReadOnlyView(APIView):
    """An anonymous GET-only view whose answers any site may read and any cache may keep."""

    http_method_names = ["get", "head", "options"]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        open_to_any_origin(response, expose=["ETag"])
        if request.method == "OPTIONS":
            # A preflight, e.g. for a script that revalidates with If-None-Match itself.
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Accept, Accept-Language, If-None-Match"
            response["Access-Control-Max-Age"] = "86400"
        if request.method not in ("GET", "HEAD"):
            return response
        if response.status_code != 200:
            patch_cache_control(response, no_cache=True)
            return response
        response.render()
        patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
        set_response_etag(response)
        not_modified = get_conditional_response(request, etag=response["ETag"], response=response)
        if not_modified is not None:
            return open_to_any_origin(not_modified, expose=["ETag"])
        return response
