"""core.template_blocks (issue 13): `{% extends %}` finds a root template's blocks once per
compiled template, and inheritance renders as Django renders it."""

from django.template import Context, Engine
from django.template.base import NodeList

TEMPLATES = {
    "root.html": "<title>{% block title %}Root{% endblock %}</title>"
    "{% block body %}<p>root body</p>{% block inner %}root inner{% endblock %}{% endblock %}"
    "{% block footer %}<footer>{{ year }}</footer>{% endblock %}",
    "child.html": '{% extends "root.html" %}{% block title %}Child · {{ block.super }}{% endblock %}'
    "{% block inner %}child inner{% endblock %}",
    "grandchild.html": '{% extends "child.html" %}{% block inner %}{{ block.super }} + grandchild{% endblock %}'
    "{% block footer %}{% endblock %}",
}


def _engine():
    loaders = [("django.template.loaders.cached.Loader", [("django.template.loaders.locmem.Loader", TEMPLATES)])]
    return Engine(loaders=loaders)


def test_issue_13_inheritance_renders_as_django_renders_it():
    engine = _engine()
    for _n in range(2):
        assert engine.get_template("child.html").render(Context({"year": 2026})) == (
            "<title>Child · Root</title><p>root body</p>child inner<footer>2026</footer>"
        )
        assert engine.get_template("grandchild.html").render(Context({"year": 2026})) == (
            "<title>Child · Root</title><p>root body</p>child inner + grandchild"
        )
        assert engine.get_template("root.html").render(Context({"year": 1})) == (
            "<title>Root</title><p>root body</p>root inner<footer>1</footer>"
        )


def test_issue_13_the_roots_blocks_are_found_once(monkeypatch):
    engine = _engine()
    root = engine.get_template("root.html")
    walks = []
    original = NodeList.get_nodes_by_type

    def counting(self, nodetype):
        if self is root.nodelist:
            walks.append(nodetype)
        return original(self, nodetype)

    monkeypatch.setattr(NodeList, "get_nodes_by_type", counting)
    for _n in range(5):
        engine.get_template("child.html").render(Context({}))
        engine.get_template("grandchild.html").render(Context({}))
    assert len(walks) == 1
