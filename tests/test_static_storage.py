"""core.static_storage (issue 13): a static file's URL is computed once per process."""

import json

from django.contrib.staticfiles.storage import StaticFilesStorage

from core.static_storage import ManifestStorage, PlainStorage


def test_issue_13_a_static_files_url_is_computed_once(monkeypatch, settings):
    computed = []
    original = StaticFilesStorage.url

    def counting(self, name):
        computed.append(name)
        return original(self, name)

    monkeypatch.setattr(StaticFilesStorage, "url", counting)
    storage = PlainStorage()
    for _n in range(3):
        assert storage.url("css/app.css") == f"{settings.STATIC_URL}css/app.css"
        assert storage.url("img/favicon.svg") == f"{settings.STATIC_URL}img/favicon.svg"
    assert computed == ["css/app.css", "img/favicon.svg"]


def test_issue_13_the_manifest_storage_keeps_the_hashed_url(tmp_path, settings):
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path)
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"paths": {"css/app.css": "css/app.0123456789ab.css"}, "version": "1.1", "hash": "x"})
    )
    storage = ManifestStorage(location=str(tmp_path))
    assert storage.url("css/app.css") == f"{settings.STATIC_URL}css/app.0123456789ab.css"
    assert storage.url("css/app.css") is storage.url("css/app.css")
