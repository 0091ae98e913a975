"""The site's URLs plus the two reference views, served only by the benchmark's settings.

The site's patterns are reused as they are (including them would not do: they use
i18n_patterns, which Django allows only in the root URLconf), with its error handlers.
"""

from django.urls import path

from benchmarks.views import lower_bound, naive
from orgsite.urls import *  # noqa: F403
from orgsite.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/naive/", naive),
    path("bench/lower-bound/", lower_bound),
    *site_urlpatterns,
]
