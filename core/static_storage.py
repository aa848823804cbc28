"""Static files storages whose URLs are computed once per file and process (issue 13).

`{% static %}` asks the storage for a file's URL every time: a manifest lookup and a
urljoin, 10–20 µs; the mediators' case view writes 14 of them (the admin's scripts and
stylesheets). A file's URL cannot change while a process runs (the manifest is read at
start; the plain storage's URL is its name under STATIC_URL), so each is kept.
"""

from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class KeptURLsMixin:
    def url(self, name, *args):
        kept = self.__dict__.setdefault("_kept_urls", {})
        key = (name, *args)
        found = kept.get(key)
        if found is None:
            found = kept[key] = super().url(name, *args)
        return found


class ManifestStorage(KeptURLsMixin, CompressedManifestStaticFilesStorage):
    """Production's: whitenoise's compressed, hashed files."""


class PlainStorage(KeptURLsMixin, StaticFilesStorage):
    """DEBUG's and the tests': files under their own names."""
