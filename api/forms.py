"""Forms of the API pages: registering an OAuth2 application."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.validators import AllowedURIValidator

MAX_REDIRECT_URIS = 10


class ApplicationForm(forms.Form):
    name = forms.CharField(
        label=_("Application name"),
        max_length=100,
        help_text=_("Shown to you on the consent page when the application asks for access."),
        error_messages={"required": _("Enter the application's name.")},
    )
    redirect_uris = forms.CharField(
        label=_("Redirect addresses"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "One address per line, starting with https://. After the seller allows access, the browser "
            "returns to one of them with the authorization code."
        ),
        required=False,
    )
    grant_type = forms.ChoiceField(
        label=_("How the seller connects it"),
        choices=[
            (Application.GRANT_AUTHORIZATION_CODE, _("In a browser: a consent page, then back to a redirect address")),
            (
                Application.GRANT_DEVICE_CODE,
                _("Without a browser: the program shows a code that the seller enters on this site (device flow)"),
            ),
        ],
        initial=Application.GRANT_AUTHORIZATION_CODE,
        widget=forms.RadioSelect,
        required=False,
    )
    client_type = forms.ChoiceField(
        label=_("Client type"),
        choices=[
            (Application.CLIENT_CONFIDENTIAL, _("Confidential: a server that keeps the client secret")),
            (Application.CLIENT_PUBLIC, _("Public: a desktop or mobile app that cannot keep a secret")),
        ],
        initial=Application.CLIENT_CONFIDENTIAL,
        widget=forms.RadioSelect,
    )

    def clean_grant_type(self):
        return self.cleaned_data["grant_type"] or Application.GRANT_AUTHORIZATION_CODE

    def clean(self):
        cleaned = super().clean()
        # A device-flow application has no browser to send back (API-05).
        if cleaned.get("grant_type") == Application.GRANT_AUTHORIZATION_CODE and cleaned.get("redirect_uris") == []:
            self.add_error("redirect_uris", _("Enter at least one redirect address."))
        return cleaned

    def clean_redirect_uris(self):
        uris = self.cleaned_data["redirect_uris"].split()
        if not uris:
            return []
        if len(uris) > MAX_REDIRECT_URIS:
            raise ValidationError(
                _("Enter at most %(limit)s addresses."), params={"limit": MAX_REDIRECT_URIS}, code="too_many"
            )
        # The schemes the authorization server accepts (https; http too in development).
        schemes = oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
        validator = AllowedURIValidator(schemes, name="redirect uri", allow_path=True, allow_query=True)
        for uri in uris:
            try:
                validator(uri)
            except ValidationError:
                raise ValidationError(
                    _("%(uri)s is not a valid redirect address: use a full address starting with %(schemes)s."),
                    params={"uri": uri, "schemes": " / ".join(f"{scheme}://" for scheme in schemes)},
                    code="invalid_uri",
                ) from None
        return uris
