"""The widget's weight, measured from what the site serves: the frame's first render (its HTML and
every stylesheet and script it links, Leaflet excepted) and widget.js, each gzipped.

`measure(get)` takes a function that fetches a path and returns the body as bytes (the Django
test client, in tests/test_embed.py), so the numbers always come from the served responses.
"""

import gzip
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# The budget of issue 3: a first render on a phone on a slow network.
FRAME_BUDGET = 20 * 1024
WIDGET_BUDGET = 3 * 1024
# The frame a writer's snippet typically opens: a cause, a place, a colour; the list layout.
FRAME_PATH = "/embed/?cause=immigrant-rights&near=94704&accent=b3261e"
GZIP_LEVEL = 6  # what a web server or proxy uses for on-the-fly compression
# The optional map layout and its tiles are outside the budget.
EXCLUDED = ("/vendor/leaflet/",)

ASSET = re.compile(
    r'<(?:link[^>]*\brel="stylesheet"[^>]*\bhref|script[^>]*\bsrc)="([^"]+)"', re.IGNORECASE
)


@dataclass
class Weight:
    parts: list = field(default_factory=list)  # (name, raw bytes, gzipped bytes)

    @property
    def raw(self):
        return sum(part[1] for part in self.parts)

    @property
    def gzipped(self):
        return sum(part[2] for part in self.parts)


def gzipped_size(body):
    return len(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))


def measure(get, frame_path=FRAME_PATH):
    """(frame weight, widget.js weight), from the responses `get(path)` returns."""
    html = get(frame_path)
    frame = Weight([(frame_path, len(html), gzipped_size(html))])
    for url in dict.fromkeys(ASSET.findall(html.decode())):
        path = urlsplit(url.replace("&amp;", "&"))
        path = path.path + (f"?{path.query}" if path.query else "")
        if any(excluded in path for excluded in EXCLUDED):
            continue
        body = get(path)
        frame.parts.append((path, len(body), gzipped_size(body)))
    body = get("/widget.js")
    widget = Weight([("/widget.js", len(body), gzipped_size(body))])
    return frame, widget


def report(frame, widget):
    lines = [f"Embed frame first render ({FRAME_PATH}):"]
    lines += [f"  {name}: {raw:,} B, {gz:,} B gzipped" for name, raw, gz in frame.parts]
    lines.append(
        f"  total: {frame.raw:,} B, {frame.gzipped:,} B gzipped (budget {FRAME_BUDGET:,} B gzipped)"
    )
    lines.append(
        f"widget.js: {widget.raw:,} B, {widget.gzipped:,} B gzipped "
        f"(budget {WIDGET_BUDGET:,} B gzipped)"
    )
    return "\n".join(lines)
