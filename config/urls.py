from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from core.auth_forms import SignInForm
from orders import views as order_views

admin.site.site_header = _("Allegro — mediators' desk")
admin.site.site_title = _("Mediators' desk")
admin.site.index_title = _("Dispute desk")

urlpatterns = [
    path("", order_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", order_views.set_language, name="set_language"),
    path("i18n/setmarket/", order_views.set_market, name="set_market"),
    path("admin/", admin.site.urls),
    path("", include("orders.urls")),
    path("", include("discussions.urls")),
    path("", include("buyers.urls")),
    path("auth/oauth/", include("api.oauth_urls")),
    path(f"{settings.API_BASE_PATH}/", include("api.urls")),
    path("", include("api.pages_urls")),
]

# SAFE-11: rendered without the database or the session (core.views); 403, 404 and the
# CSRF failure page are Django's views with the site's templates.
handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
