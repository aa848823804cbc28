"""The seller API's rate limit (SAFE-13): API_RATE_LIMIT requests per seller account and
window, API_ANONYMOUS_RATE_LIMIT per client address for requests without a valid token;
beyond it a 429 in the API's error shape with `Retry-After`.

A limit per access token let an integrator start afresh with each new token (an
account may hold many: one per application it allowed, and a new one at every refresh),
so the count is kept per seller account, whichever of its tokens a request carries. A
request without a valid token (none, unknown, expired, revoked) is counted per client
address, as the sign-in lock identifies it (django-axes, behind TRUSTED_PROXY_COUNT
reverse proxies); ApiView counts before checking permissions, so these are counted too.

The counts are kept in Django's default cache, shared by every web worker and node when
it is Redis (REDIS_URL). Without Redis the cache is each process's memory: every worker
then counts on its own, and a client may make the limit's number of requests per worker.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .policy import seller_account_of


def client_address(request):
    """The client's address as the sign-in lock sees it (SAFE-07's trusted proxies)."""
    # Imported here: DRF imports this module from its settings, possibly before the
    # apps (axes.helpers imports axes' models) are ready.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(getattr(request, "_request", request)) or "unknown"


def rate_key(request):
    """(scope, key, rate) of what a request counts against: its seller account; the
    user of a valid token without one; else the client's address."""
    account = seller_account_of(request)
    if account is not None:
        return "account", f"account:{account.pk}", settings.API_RATE_LIMIT
    user = getattr(request.auth, "user", None)
    if user is not None:
        return "account", f"user:{user.pk}", settings.API_RATE_LIMIT
    return "address", f"address:{client_address(request)}", settings.API_ANONYMOUS_RATE_LIMIT


class SellerAccountRateThrottle(BaseThrottle):
    """The limit of a request's seller account (or address), in fixed windows.

    A window opens with the first request counted against a key and lasts the rate's
    period; requests are counted with one atomic cache increment (constant work per
    request; with Redis, the count and the window's end in one round trip). DRF's own
    throttles keep a list of every request's time instead, which at 9000/minute is read
    and written whole each time. A refused request notes which limit it met
    (`request.rate_limit_scope`) for the error's message."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        scope, key, rate = rate_key(request)
        if not rate:
            return True
        limit, period = SimpleRateThrottle.parse_rate(None, rate)
        count_key, start_key = f"api-rate:{key}", f"api-rate-start:{key}"
        if hasattr(cache, "count_in_window"):  # Redis (core.cache): one round trip
            count, left = cache.count_in_window(count_key, period)
            if count <= limit:
                return True
            self._wait = max(left, 1)
            request.rate_limit_scope = scope
            return False
        now = time.time()
        if cache.add(count_key, 1, timeout=period):
            cache.set(start_key, now, timeout=period)
            return True
        try:
            count = cache.incr(count_key)
        except ValueError:  # the window ended between the two calls
            cache.set(count_key, 1, timeout=period)
            cache.set(start_key, now, timeout=period)
            return True
        if count <= limit:
            return True
        started = cache.get(start_key, now)
        self._wait = max(started + period - now, 1)
        request.rate_limit_scope = scope
        return False

    def wait(self):
        return self._wait
