"""WSGI entry point; warms the geocoder so the first search does not pay for loading it."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")
application = get_wsgi_application()

from directory import geocoding  # noqa: E402

geocoding.warm()
