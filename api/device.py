"""The page where a seller connects a device (API-05, RFC 8628 §3.3): the device shows a
code and this address (/skojarz-aplikacje, as the marketplace's); the seller signs in,
enters the code (or arrives with it in the address), sees which application asks for
which scopes for which seller account, and allows or denies it. The device, polling the
token endpoint, gets its tokens or access_denied (api.oauth).

Only users with a seller account may allow a device. A code is valid for an hour and
for one decision; a second submission of the same decision shows its result again.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application, get_device_grant_model
from oauth2_provider.scopes import get_scopes_backend

from .oauth import seller_account_of_user, shown_user_code, user_code_key

TEMPLATE = "api/device.html"
DECISIONS = {"allow": "authorized", "deny": "denied"}


class DeviceCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the device"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the code that the device shows.")},
    )


def pending_grant(code, now):
    model = get_device_grant_model()
    return model.objects.filter(
        user_code=user_code_key(code), status=model.AUTHORIZATION_PENDING, expires__gt=now
    ).first()


def _invalid(form):
    form.add_error(
        "code",
        _(
            "This code is not valid: check it on the device and type it again. A code is valid for an "
            "hour and can be used once."
        ),
    )


def _confirmation(request, account, grant, *, status=200):
    application = Application.objects.filter(client_id=grant.client_id).first()
    labels = get_scopes_backend().get_all_scopes()
    return render(
        request,
        TEMPLATE,
        {
            "step": "confirm",
            "application": application,
            "seller_account": account,
            "user_code": grant.user_code,
            "shown_code": shown_user_code(grant.user_code),
            "requested_scopes": [(scope, labels.get(scope, scope)) for scope in grant.scope.split()],
        },
        status=status,
    )


@login_required
def verify(request):
    account = seller_account_of_user(request.user)
    if account is None:
        return render(request, TEMPLATE, {"step": "not_seller"}, status=403)
    now = timezone.now()
    if request.method == "POST":
        return _decide(request, account, now)
    if "code" not in request.GET:
        return render(request, TEMPLATE, {"step": "enter", "form": DeviceCodeForm()})
    form = DeviceCodeForm(request.GET)
    if form.is_valid():
        grant = pending_grant(form.cleaned_data["code"], now)
        if grant is not None:
            return _confirmation(request, account, grant)
        _invalid(form)
    return render(request, TEMPLATE, {"step": "enter", "form": form}, status=422)


def _decide(request, account, now):
    model = get_device_grant_model()
    code = user_code_key(request.POST.get("code"))
    status = DECISIONS.get(request.POST.get("decision"))
    form = DeviceCodeForm({"code": request.POST.get("code", "")})
    grant = model.objects.filter(user_code=code).order_by("-expires").first() if code else None
    if grant is not None and status is not None:
        decided = model.objects.filter(pk=grant.pk, status=model.AUTHORIZATION_PENDING, expires__gt=now).update(
            status=status, user=request.user
        )
        # The same decision sent twice (a double click, a reload) shows its result again.
        if decided or (grant.status == status and grant.user_id == request.user.pk):
            application = Application.objects.filter(client_id=grant.client_id).first()
            return render(request, TEMPLATE, {"step": status, "application": application})
    if grant is not None and status is None and grant.status == model.AUTHORIZATION_PENDING:
        return _confirmation(request, account, grant, status=422)
    form.is_valid()
    _invalid(form)
    return render(request, TEMPLATE, {"step": "enter", "form": form}, status=422)
