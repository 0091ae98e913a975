"""A cap on request bodies with file parts, which DATA_UPLOAD_MAX_MEMORY_SIZE does not cover."""

from django.conf import settings
from django.shortcuts import render


class UploadLimitMiddleware:
    """Answer a multipart body larger than UPLOAD_MAX_BYTES with a 413 page, before reading it.

    Django caps the form fields of a multipart body but not its files: without this, any client
    could make a worker spool gigabytes to disk. The declared length is all that is read (a body
    without one reaches Django as empty), so nothing of the upload is ever received.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type == "multipart/form-data" and _declared_length(request) > (
            settings.UPLOAD_MAX_BYTES
        ):
            megabytes = settings.UPLOAD_MAX_BYTES / (1024 * 1024)
            # The WSGI server closes the connection on the unread body (WSGI forbids saying so).
            return render(request, "413.html", {"megabytes": megabytes}, status=413)
        return self.get_response(request)


def _declared_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
