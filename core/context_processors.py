"""Values every page's header needs."""


def navigation(request):
    user = getattr(request, "user", None)
    is_seller = bool(user and user.is_authenticated and hasattr(user, "seller_account"))
    from orders.markets import MARKET_DOMAINS

    current = getattr(request, "market_code", "")
    markets = [
        {"code": code, "domain": domain, "is_current": code == current} for code, domain in MARKET_DOMAINS.items()
    ]
    return {"nav_is_seller": is_seller, "market_switch": markets, "current_market_code": current}
