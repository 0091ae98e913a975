"""`make bench`: time the public pages in-process and report each as a ratio to a floor.

The floor is `/healthz` (the full middleware stack, no database) measured in the same run, so the
ratios mean the same on a fast laptop and a slow CI machine. Run on the seeded local database.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from directory import geocoding  # noqa: E402
from directory.models import Organization  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))


def median_seconds(action, rounds=ROUNDS):
    action()  # warm caches and connections
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    if not Organization.objects.exists():
        sys.exit("No groups in the database: run `make data` (or `make run`) first.")
    client = Client(HTTP_HOST="127.0.0.1")
    slug = (
        Organization.objects.published().filter(coverage="local").values_list("slug", flat=True)[0]
    )
    geocoding.warm()

    def page(url):
        def fetch():
            assert client.get(url).status_code == 200, url

        return fetch

    floor = median_seconds(page("/healthz"))
    cases = {
        "home /": page("/"),
        "search 94704 immigrant-rights": page("/search/?near=94704&cause=immigrant-rights"),
        "search 59001 (widens)": page("/search/?near=59001"),
        "search Springfield, any cause": page("/search/?near=Springfield"),
        "group page": page(f"/groups/{slug}/?near=94704"),
        "cause page": page("/causes/immigrant-rights/"),
        "suggest 'oak'": page("/places/suggest/?q=oak"),
    }
    print(f"floor (/healthz): {floor * 1e3:.3f} ms median over {ROUNDS} rounds")
    print(f"{'case':<34} {'median ms':>10} {'x floor':>8}")
    for name, action in cases.items():
        seconds = median_seconds(action)
        print(f"{name:<34} {seconds * 1e3:>10.2f} {seconds / floor:>8.1f}")
    for name, call in {
        "geocode('94704')": lambda: geocoding.geocode("94704"),
        "geocode('Oakland, CA')": lambda: geocoding.geocode("Oakland, CA"),
        "suggest('spr')": lambda: geocoding.suggest("spr"),
        "reverse(37.87, -122.27)": lambda: geocoding.reverse(37.87, -122.27),
    }.items():
        seconds = median_seconds(call, rounds=ROUNDS * 10)
        print(f"{name:<34} {seconds * 1e6:>9.1f}µs {seconds / floor:>8.3f}")


if __name__ == "__main__":
    main()
