"""The sign-in forms (SAFE-07): Django's own, with their length limits enforced."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

# Longer than any password a person or a password manager uses; the bound keeps a sign-in
# attempt from hashing megabytes.
PASSWORD_MAX_LENGTH = 4096


class BoundedSignInMixin:
    """Django's AuthenticationForm sets the username field's max_length after the field is
    built, so the limit reaches the input's maxlength attribute but is never checked: an
    over-long login went on to authenticate() and into django-axes' attempt log, whose
    username column holds 255 characters (a 500 on PostgreSQL). Here both fields refuse
    over-long input with a form error, before anything is looked up or written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
        password = self.fields["password"]
        password.max_length = PASSWORD_MAX_LENGTH
        password.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))


class SignInForm(BoundedSignInMixin, AuthenticationForm):
    """The site's sign-in page."""


class AdminSignInForm(BoundedSignInMixin, AdminAuthenticationForm):
    """The mediators' desk sign-in page."""
