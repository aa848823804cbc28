"""Forms of the add wizard: shape only; the rules (BLK-03…07) are in services."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import DomainErrorFormMixin, MultipleFileField, MultipleFileInput

from .models import BlockReason
from .services import MAX_EVIDENCE, MAX_NOTE, MIN_EVIDENCE

IMAGE_TYPES = "image/jpeg,image/png,image/webp"


class BuyerStepForm(DomainErrorFormMixin, forms.Form):
    """Step 1. Login and reason are checked by the services, which say what is missing;
    the reason is not asked for a buyer copied from a linked account (BLK-08)."""

    login = forms.CharField(
        label=_("Buyer's login"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=BlockReason.choices, required=False, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_NOTE}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per request, in the language of the request.
        self.fields["note"].help_text = gettext(
            "Explain your decision, if you want. Up to %(max)s characters; the buyer does not see it."
        ) % {"max": MAX_NOTE}

    def clean_note(self):
        # Browsers send line breaks as CRLF but count them as one character.
        return self.cleaned_data["note"].replace("\r\n", "\n")


class ImagesStepForm(DomainErrorFormMixin, forms.Form):
    files = MultipleFileField(
        label=_("Pictures proving the threats"),
        widget=MultipleFileInput(attrs={"accept": IMAGE_TYPES}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = gettext(
            "From %(min)s to %(max)s files: JPEG, PNG or WebP, at most 10 MB each."
        ) % {"min": MIN_EVIDENCE, "max": MAX_EVIDENCE}


class OrdersStepForm(DomainErrorFormMixin, forms.Form):
    orders = forms.TypedMultipleChoiceField(
        label=_("Orders"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orders"].choices = [(order.pk, order.number) for order in orders]
