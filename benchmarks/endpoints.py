"""What the benchmark requests: one list, used by the load runs, the in-process timings and the
report, so the three always name and measure the same things."""

from dataclasses import dataclass
from urllib.parse import quote

FLOOR = "floor"
NAIVE = "naive"
BOUND = "bound"
# The fixed search every reader of a viral post makes.
ZIP, CAUSE = "94704", "immigrant-rights"
SPARSE_ZIP = "59001"  # Absarokee, MT: nothing within the radius, so the search widens
# Production is HTTPS-only behind a TLS terminator that says so in this header; every request
# carries it, as it would there (without it, every answer is a redirect to https).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    paths: tuple[str, ...]  # requested in turn

    @property
    def example(self):
        return (
            self.paths[0] if len(self.paths) == 1 else f"{self.paths[0]} (+{len(self.paths) - 1})"
        )


def endpoints(group_slug, service_id, rotating_zips):
    """Every endpoint, the floor first and the naive reference last."""
    near = f"near={ZIP}&cause={CAUSE}"
    return [
        Endpoint(FLOOR, "floor /healthz", ("/healthz",)),
        Endpoint("api", "API search ZIP + cause", (f"/api/v1/organizations/?{near}",)),
        Endpoint(
            "api_rotating",
            f"API search, {len(rotating_zips)} ZIPs in turn",
            tuple(f"/api/v1/organizations/?near={z}&cause={CAUSE}" for z in rotating_zips),
        ),
        Endpoint("html", "HTML search ZIP + cause", (f"/search/?{near}",)),
        Endpoint(
            "html_city", 'HTML "Chicago, IL" + words', ("/search/?near=Chicago%2C+IL&q=tenant",)
        ),
        Endpoint(
            "html_sparse",
            f"HTML sparse ZIP {SPARSE_ZIP} (widens)",
            (f"/search/?near={SPARSE_ZIP}",),
        ),
        Endpoint("embed", "embed page ZIP + cause", (f"/embed/?{near}",)),
        Endpoint("group", "group page", (f"/groups/{group_slug}/",)),
        Endpoint("cause", "cause page", (f"/causes/{CAUSE}/",)),
        Endpoint("suggest", "place autocomplete", ("/places/suggest/?q=spr",)),
        Endpoint("hsds_list", "HSDS services list", ("/api/hsds/services?per_page=5",)),
        Endpoint("hsds_one", "HSDS one service", (f"/api/hsds/services/{quote(service_id)}",)),
        Endpoint(BOUND, "lower bound: 1 query, 20 rows", (f"/bench/lower-bound/?{near}",)),
        Endpoint(NAIVE, "naive reference", (f"/bench/naive/?{near}",)),
    ]


# Which endpoints are searches (for the cached-search target and latency growth).
SEARCHES = ("api", "api_rotating", "html", "html_city", "html_sparse", "embed")
