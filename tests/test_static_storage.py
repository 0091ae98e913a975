"""Production's static storage: stylesheets minified, hashed and gzipped, as collectstatic
leaves them (orgsite/storage.py)."""

import gzip
import json
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from orgsite.storage import MinifiedStaticFilesStorage

SOURCES = Path(settings.BASE_DIR) / "static"


def _collect(root, names):
    """What collectstatic does with these files: copy each into the storage, then post-process."""
    storage = MinifiedStaticFilesStorage(location=root, base_url="/static/")
    source = FileSystemStorage(location=SOURCES)
    for name in names:
        with source.open(name) as handle:
            storage.save(name, handle)
    processed = list(storage.post_process({n: (source, n) for n in names}, dry_run=False))
    assert [error for *_rest, error in processed if isinstance(error, Exception)] == []
    return storage


def test_production_serves_the_stylesheets_minified_hashed_and_compressed(tmp_path):
    storage = _collect(tmp_path, ["css/site.css", "css/print.css", "favicon.svg"])
    for name in ("css/site.css", "css/print.css"):
        original = (SOURCES / name).read_text()
        hashed = storage.stored_name(name)
        assert hashed != name and hashed.endswith(".css")
        served = (tmp_path / hashed).read_text()
        assert len(served) < 0.85 * len(original), name
        assert "/*" not in served and "\n  " not in served
        # Every rule survives: the same selectors and media queries, in the same order.
        assert served.count("{") == original.count("{")
        assert served.count("@media") == original.count("@media")
        assert gzip.decompress((tmp_path / f"{hashed}.gz").read_bytes()).decode() == served
    # Other files are copied as they are.
    favicon = storage.stored_name("favicon.svg")
    assert (tmp_path / favicon).read_bytes() == (SOURCES / "favicon.svg").read_bytes()
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    assert manifest["paths"]["css/site.css"] == storage.stored_name("css/site.css")
