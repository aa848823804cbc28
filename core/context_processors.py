"""Values every page's header needs."""

from .chrome import Chrome
from .markets import MARKET_DOMAINS


def navigation(request):
    user = getattr(request, "user", None)
    is_authenticated = bool(user and user.is_authenticated)
    is_seller = is_authenticated and hasattr(user, "seller_account")
    current = getattr(request, "market_code", "")
    chrome = Chrome(
        is_authenticated=is_authenticated,
        is_seller=is_seller,
        is_staff=is_authenticated and user.is_staff,
        market_code=current,
        market_domains=MARKET_DOMAINS,
    )
    return {"chrome": chrome}
