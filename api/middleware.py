"""Every response of the seller API and of the OAuth2 endpoints carries a `trace-id`
header (as the marketplace's API does), to quote when reporting a problem."""

import uuid

from django.conf import settings


class TraceIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = (f"/{settings.API_BASE_PATH}/", "/auth/oauth/")

    def __call__(self, request):
        if not request.path.startswith(self.prefixes):
            return self.get_response(request)
        request.trace_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["trace-id"] = request.trace_id
        return response
