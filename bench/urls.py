"""URLs of the page benchmark (bench/pages.py): the site's own (config.urls) plus a
trivial page, the denominator of every ratio the benchmark prints."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from config.urls import handler400, handler500  # noqa: F401 (the site's error pages)

TRIVIAL_MARKER = "Bench trivial page"

# Compiled once; rendered without a request, so no context processor, session or query.
TRIVIAL_TEMPLATE = engines["django"].from_string(f"<p>{TRIVIAL_MARKER}</p>\n<p>{{{{ path }}}}</p>\n")


def trivial(request):
    return HttpResponse(TRIVIAL_TEMPLATE.render({"path": request.path}))


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("config.urls")),
]
