"""Contract checks: responses of our API validated against the marketplace's published
OpenAPI description (api/reference/allegro-openapi-excerpt.yaml) with openapi-core.

`check(response)` finds the operation by method and path (the excerpt's server is
replaced by http://testserver/<API_BASE_PATH>) and validates status code, media type,
headers and body against the excerpt's schema; any difference raises.
`check_httpx(response)` does the same for an answer an HTTP client (httpx) got from a
live server (issue 18's generated client): its path is checked under the same server.
"""

import json
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from api.base import BETA, PUBLIC

EXCERPT = Path(settings.BASE_DIR) / "api" / "reference" / "allegro-openapi-excerpt.yaml"


@cache
def excerpt():
    spec = yaml.safe_load(EXCERPT.read_text())
    spec["servers"] = [{"url": f"http://testserver/{settings.API_BASE_PATH}"}]
    # Per-operation servers (the old upload host) would hide our path.
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)
    # openapi-core reads only application/json as JSON; our vendor types are JSON too.
    config = Config(extra_media_type_deserializers={BETA: json.loads, PUBLIC: json.loads})
    return OpenAPI.from_dict(spec, config=config)


class _Request:
    def __init__(self, request):
        self.host_url = "http://testserver"
        self.path = request.path
        self.path_pattern = None
        self.method = request.method.lower()
        self.content_type = request.content_type or "application/octet-stream"
        self.body = None  # only the response is checked here
        self.parameters = RequestParameters(
            path={},
            query=ImmutableMultiDict([(key, value) for key, values in request.GET.lists() for value in values]),
            header=Headers(request.headers.items()),
            cookie=ImmutableMultiDict(dict(request.COOKIES)),
        )


class _Response:
    def __init__(self, response):
        self.status_code = response.status_code
        self.content_type = response.get("Content-Type", "")
        self.headers = Headers(response.headers.items())
        if response.streaming:  # read the file once, and give it back to the test
            content = b"".join(response.streaming_content)
            response.streaming_content = [content]
            self.data = content
        else:
            self.data = response.content


def check(response):
    """Validate `response` (from the Django test client) against the excerpt."""
    excerpt().validate_response(_Request(response.wsgi_request), _Response(response))
    return response


def body(response):
    return json.loads(response.content)


class _HttpxRequest(_Request):
    def __init__(self, request):
        self.host_url = "http://testserver"
        self.path = request.url.path
        self.path_pattern = None
        self.method = request.method.lower()
        self.content_type = request.headers.get("Content-Type", "application/octet-stream")
        self.body = None  # only the response is checked here
        self.parameters = RequestParameters(
            path={},
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(request.headers.items()),
            cookie=ImmutableMultiDict({}),
        )


class _HttpxResponse:
    def __init__(self, response):
        self.status_code = response.status_code
        self.content_type = response.headers.get("Content-Type", "")
        self.headers = Headers(response.headers.items())
        self.data = response.read()


def check_httpx(response):
    """Validate an httpx `response` (its request included) against the excerpt."""
    excerpt().validate_response(_HttpxRequest(response.request), _HttpxResponse(response))
    return response
