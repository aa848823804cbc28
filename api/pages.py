"""Seller pages of the API (API-01): *API i aplikacje* — the seller's own OAuth2
applications and the applications authorized for the seller account — and the public
developer guide.

Thin views as elsewhere: the seller account through `orders.access` (404 for users who do
not sell), a form, one helper call, a message and a redirect. The client secret is hashed
when saved (DOT's `hash_client_secret`), so its plain value is shown once, right after
registration, and never again.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken
from oauth2_provider.scopes import get_scopes_backend

from core.errors import DomainError
from core.once import Submission, already_done, consume
from orders.access import seller_account_for

from . import guide
from .forms import ApplicationForm

# Where the plain client secret waits, in the session, for the one page that shows it.
NEW_SECRET_SESSION_KEY = "api_new_client_secret"


# --- Applications and authorizations ---------------------------------------------------------


def register_application(
    *, user, name, redirect_uris, client_type, grant_type=Application.GRANT_AUTHORIZATION_CODE, once=None
):
    """A new application of `user` (authorization code, or the device flow: API-05);
    returns it and its plain secret. `once`: the form's submission (SAFE-01, core.once):
    the same form registers one."""
    secret = generate_client_secret()
    application = Application(
        user=user,
        name=name,
        redirect_uris=" ".join(redirect_uris),
        client_type=client_type,
        authorization_grant_type=grant_type,
        client_secret=secret,
        hash_client_secret=True,
    )
    application.full_clean()
    with transaction.atomic():
        consume(once)
        application.save()
    return application, secret


@dataclass
class Authorization:
    """An application holding live tokens of the user: what it may do, and until when."""

    application: Application
    scopes: set = field(default_factory=set)
    authorized_at: datetime | None = None
    access_expires_at: datetime | None = None
    has_refresh_token: bool = False

    def scope_labels(self):
        labels = get_scopes_backend().get_all_scopes()
        return [(scope, labels.get(scope, scope)) for scope in sorted(self.scopes)]


def _live_tokens(user, now, application_id=None):
    """Access tokens not yet expired, refresh tokens not revoked (with the access token
    they were issued with, for its scopes). Two queries, whatever the number of rows."""
    access = AccessToken.objects.filter(user=user, expires__gt=now).select_related("application")
    refresh = RefreshToken.objects.filter(user=user, revoked__isnull=True).select_related("application", "access_token")
    if application_id is not None:
        access = access.filter(application_id=application_id)
        refresh = refresh.filter(application_id=application_id)
    return list(access), list(refresh)


def authorizations_for(user, now):
    """The applications authorized for the user's seller account, by name."""
    access, refresh = _live_tokens(user, now)
    by_application = {}
    for token in access + refresh:
        if token.application is None:
            continue
        item = by_application.setdefault(token.application_id, Authorization(token.application))
        created = token.created
        item.authorized_at = min(item.authorized_at or created, created)
        if isinstance(token, AccessToken):
            item.scopes.update(token.scope.split())
            item.access_expires_at = max(item.access_expires_at or token.expires, token.expires)
        else:
            item.has_refresh_token = True
            if token.access_token is not None:
                item.scopes.update(token.access_token.scope.split())
    return sorted(by_application.values(), key=lambda item: (item.application.name.lower(), item.application.pk))


def revoke_authorization(*, user, application_id, now):
    """Revoke every token (and unused code) the application holds for the user. The
    API answers 401 to its access tokens from now on; its refresh tokens are refused."""
    access, refresh = _live_tokens(user, now, application_id)
    if not access and not refresh:
        raise Http404
    with transaction.atomic():
        for token in refresh:
            token.revoke()  # also deletes the access token it was issued with
        for token in AccessToken.objects.filter(user=user, application_id=application_id):
            token.revoke()
        Grant.objects.filter(user=user, application_id=application_id).delete()
    return access[0].application if access else refresh[0].application


# --- Pages -----------------------------------------------------------------------------------


@login_required
def dashboard(request):
    account = seller_account_for(request.user)
    form = ApplicationForm()
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        once = Submission.of(request)
        if form.is_valid():
            try:
                application, secret = register_application(user=request.user, once=once, **form.cleaned_data)
            except DomainError as error:
                if already_done(request, once):
                    return redirect("api_pages:dashboard")
                form.add_error(None, error.message)
            else:
                request.session[NEW_SECRET_SESSION_KEY] = {"application": application.pk, "client_secret": secret}
                messages.success(request, _("Application %(name)s is registered.") % {"name": application.name})
                return redirect("api_pages:dashboard")
    new_secret = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    applications = list(Application.objects.filter(user=request.user).order_by("-created", "-pk"))
    new_application = None
    if new_secret:
        new_application = next((app for app in applications if app.pk == new_secret["application"]), None)
    return render(
        request,
        "api/dashboard.html",
        {
            "account": account,
            "form": form,
            "applications": applications,
            "new_application": new_application,
            "new_client_secret": new_secret["client_secret"] if new_application else None,
            "authorizations": authorizations_for(request.user, timezone.now()),
            "public_client": Application.CLIENT_PUBLIC,
            "device_grant": Application.GRANT_DEVICE_CODE,
        },
    )


@login_required
@require_POST
def application_delete(request, pk):
    seller_account_for(request.user)
    application = get_object_or_404(Application, pk=pk, user=request.user)
    name = application.name
    # Its tokens and unused codes go with it (cascade): its users' access ends at once.
    application.delete()
    messages.success(request, _("Application %(name)s is deleted; its tokens no longer work.") % {"name": name})
    return redirect("api_pages:dashboard")


@login_required
@require_POST
def authorization_revoke(request, pk):
    seller_account_for(request.user)
    application = revoke_authorization(user=request.user, application_id=pk, now=timezone.now())
    messages.success(
        request,
        _("Access of %(name)s to your seller account is revoked.") % {"name": application.name},
    )
    return redirect("api_pages:dashboard")


def developer_guide(request):
    base_url = request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "api/guide.html",
        {
            "examples": guide.EXAMPLES,
            "variables_setup": guide.variables_setup(base_url, settings.API_BASE_PATH),
            "pkce_setup": guide.PKCE_SETUP,
            "authorize_url": guide.AUTHORIZE_URL,
            "file_setup": guide.FILE_SETUP,
            "scopes": list(get_scopes_backend().get_all_scopes().items()),
            "dashboard_url": reverse("api_pages:dashboard"),
            "device_url": reverse("api_pages:device"),
            "device_path": request.build_absolute_uri(reverse("api_pages:device")),
            "error_codes": guide.ERROR_CODES,
            "deliberate_differences": guide.DELIBERATE_DIFFERENCES.values(),
            "subjects": guide.subjects(),
        },
    )
