"""A mediator's decision page: a form with the reason, one service call, a message."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from ..errors import DomainError
from ..once import Submission, already_done, posted_number, version_input


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
    versioned=False,
):
    """A mediator decision: a form with the reason, one service call, a message.

    `handler(obj, user, data)` gets the form's cleaned data and `data["once"]`, the form's
    submission for the service to consume (SAFE-01): a repeated submission shows the
    first result. With `versioned`, the page carries `obj.version` and `data["seen_version"]`
    is the version the mediator decided on (SAFE-02); the page shown again after a
    refusal carries the version it shows."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST or None, **(form_kwargs or {}))
    case = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change"
    if request.method == "POST":
        once = Submission.of(request)
        if form.is_valid():
            data = {**form.cleaned_data, "once": once}
            if versioned:
                data["seen_version"] = posted_number(request)
            try:
                handler(obj, request.user, data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                model_admin.message_user(request, success, messages.SUCCESS)
                return redirect(case, obj.pk)
        if already_done(request, once):
            return redirect(case, obj.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "object": obj,
        "form": form,
        "title": title,
        "opts": obj._meta,
        "version_input": version_input(obj.version) if versioned else "",
    }
    return TemplateResponse(request, "admin/discussions/decision.html", context)
