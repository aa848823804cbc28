"""Values every page's header needs."""


def navigation(request):
    user = getattr(request, "user", None)
    is_seller = bool(user and user.is_authenticated and hasattr(user, "seller_account"))
    return {"nav_is_seller": is_seller}
