"""The consent page of the authorization-code flow (PKCE): the signed-in seller sees
which application asks for which scopes, for which seller account.

A token belongs to the seller account whose user signs in here, so only users with a
seller account may authorize; anyone else gets a page that says so (and no grant).
"""

from django.shortcuts import render
from oauth2_provider.views import AuthorizationView

from orders.models import SellerAccount


def seller_account_of_user(user):
    """The user's seller account, or None."""
    return SellerAccount.objects.select_related("user").filter(user=user).first()


class AuthorizeView(AuthorizationView):
    template_name = "oauth2_provider/authorize.html"

    def dispatch(self, request, *args, **kwargs):
        self.seller_account = None
        if request.user.is_authenticated:
            self.seller_account = seller_account_of_user(request.user)
            if self.seller_account is None:
                # Before DOT reads the request: nothing is validated, nothing granted.
                return render(request, self.template_name, {"not_seller": True}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["seller_account"] = self.seller_account
        scopes = kwargs.get("scopes", ())
        context["requested_scopes"] = list(zip(scopes, kwargs.get("scopes_descriptions", ()), strict=True))
        return context
