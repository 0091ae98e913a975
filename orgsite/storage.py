"""Static files as production serves them: stylesheets minified, then hashed and compressed."""

from django.core.files.base import ContentFile
from rcssmin import cssmin
from whitenoise.storage import CompressedManifestStaticFilesStorage


class MinifiedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage, with each stylesheet minified as collectstatic writes it, so that
    its hashed name and its gzip and Brotli copies are all of the minified text. The sources in
    the repository stay readable; `DEBUG=1` serves them as they are."""

    def _save(self, name, content):
        if name.endswith(".css") and not name.endswith(".min.css"):
            content.seek(0)  # the manifest's hashing has read it already
            text = content.read()
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            content = ContentFile(cssmin(text).encode("utf-8"))
        return super()._save(name, content)
