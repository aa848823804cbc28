"""JSON request bodies of the seller API, read within bounds (SAFE-09).

DRF's JSONParser reads the whole body, however large, and parses it with the standard
library, which answers a body nested a few thousand levels deep with a RecursionError —
a 500, outside the API's error shape. Here a body is read up to
DATA_UPLOAD_MAX_MEMORY_SIZE (Django's own bound for a request body held in memory),
parsed by orjson (which stops at 1,024 levels and refuses NaN, infinities and lone
surrogates, none of them JSON a database can store) and refused when nested deeper than
MAX_DEPTH. Each refusal is a ParseError: a 400 in the API's error shape, code
MALFORMED_REQUEST, whose `userMessage` says what was wrong. Kept apart from `api.base`
so that DRF's settings can name it.
"""

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# Levels of objects and arrays a request body may have. The deepest body the API reads
# has four (a refund claim: the body, its line items, an item, its offer); the bound
# leaves room and keeps whatever walks a body (validation, error paths) shallow.
MAX_DEPTH = 32


class MalformedBody(exceptions.ParseError):
    """A body refused before it is read as the endpoint's data; `user_message` says why."""

    def __init__(self, detail, user_message):
        super().__init__(detail)
        self.user_message = str(user_message)


def too_deep(value, limit):
    """Whether `value` (a parsed object or array) has more than `limit` levels of
    objects and arrays (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def too_large():
    """DATA_UPLOAD_MAX_MEMORY_SIZE exceeded. DRF hands JSONParser subclasses the body
    Django read, which raises RequestDataTooBig for it (the exception handler answers
    with this); a parser given the stream itself stops reading past the bound."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return MalformedBody(
        f"JSON body larger than {limit} bytes",
        _("The request body is too large: at most %(limit)s bytes are accepted.") % {"limit": limit},
    )


def _too_deep():
    return MalformedBody(
        f"JSON nested deeper than {MAX_DEPTH} levels",
        _("The request body is nested too deeply: at most %(depth)s levels of objects and arrays.")
        % {"depth": MAX_DEPTH},
    )


def _invalid(error):
    return MalformedBody(f"JSON parse error - {error}", _("The request body is not valid JSON."))


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSONParser within a size and a depth bound, parsed by orjson."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        data = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise too_large()
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
                data = data.decode(encoding)
            value = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise (_too_deep() if str(error).startswith("depth limit exceeded") else _invalid(error)) from None
        except (UnicodeDecodeError, LookupError) as error:
            raise _invalid(error) from None
        if isinstance(value, dict | list) and too_deep(value, MAX_DEPTH):
            raise _too_deep()
        return value
