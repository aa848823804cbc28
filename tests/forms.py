"""What the SAFE-01/02 tests share: the hidden values that a page's form carries (the
one-time form token, the version of the Discussion, the proposal answered), read from
the HTML as a browser would send them, and the messages a redirecting view left."""

import re
from html import unescape

from django.contrib.messages import get_messages

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ACTION_RE = re.compile(r'\baction="([^"]*)"')
INPUT_RE = re.compile(r"<input\b[^>]*>")
NAME_RE = re.compile(r'\bname="([^"]*)"')
VALUE_RE = re.compile(r'\bvalue="([^"]*)"')


def hidden_fields(response, action=None):
    """The hidden inputs of the POST form that posts to `action` (a path), or of the
    first POST form without an action (it posts to the page itself), as a dict. The
    CSRF token is left out: the test client does not check it."""
    page = response.content.decode() if hasattr(response, "content") else response
    for attributes, body in FORM_RE.findall(page):
        if 'method="post"' not in attributes:
            continue
        found = ACTION_RE.search(attributes)
        if (found.group(1) if found else None) != action:
            continue
        fields = {}
        for tag in INPUT_RE.findall(body):
            name, value = NAME_RE.search(tag), VALUE_RE.search(tag)
            if 'type="hidden"' in tag and name and name.group(1) != "csrfmiddlewaretoken":
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
        return fields
    raise AssertionError(f"no POST form with action {action!r} on the page")


def flashed(response):
    """The (level, text) messages the view left for the next page."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
