"""Form pieces shared by the apps."""

from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input. Content checks happen in the services (core.uploads)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class DomainErrorFormMixin:
    """Attach a services DomainError to its field (or the form), keeping the input."""

    def add_domain_error(self, error):
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)
