"""A mediator's decision page: a form with the reason, one service call, a message."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from ..errors import DomainError


def decision_view(
    model_admin,
    request,
    obj,
    form_class,
    handler,
    title,
    success,
    permission="discussions.mediate_discussion",
    form_kwargs=None,
):
    """A mediator decision: a form with the reason, one service call, a message."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST or None, **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        try:
            handler(obj, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            model_admin.message_user(request, success, messages.SUCCESS)
            return redirect(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", obj.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "object": obj,
        "form": form,
        "title": title,
        "opts": obj._meta,
    }
    return TemplateResponse(request, "admin/discussions/decision.html", context)
