"""The seller's commission-refund pages, *rabat transakcyjny* (REB-01…08): the
application form with its *Przelicz*, the account's applications by status, one
application with its conditions, the appeal and the cancellation. The rules are
orders.commission; these views are thin, as the other order pages (orders.views).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.money import CURRENCY_SYMBOLS
from core.once import Submission, already_done

from . import commission, presenters
from .access import get_seller_commission_refund, get_seller_order, seller_account_for
from .forms import CommissionAppealForm, CommissionRefundFilterForm, CommissionRefundForm
from .models import CommissionRefund
from .views import page_of


def _application_url(application):
    return reverse("orders:commission_refund_detail", args=[application.pk])


@login_required
def commission_refund_new(request, pk):
    """REB-01/03/05: the reason, the products and units, the commission that would come
    back (recomputed on the server by *Przelicz*), then the application, evaluated at once."""
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    now = timezone.now()
    allowed, refusal = commission.can_apply(order, now)
    form = CommissionRefundForm(request.POST or None, order=order, claimed=commission.claimed_units(order))
    status = 200
    once = Submission.of(request)
    if request.method == "POST":
        if not allowed:
            status = 400
        elif request.POST.get("action") == CommissionRefundForm.ACTION_RECALCULATE:
            # Only the figures are asked for: the reason may still be unchosen.
            form.full_clean()
            form.errors.pop("reason", None)
        elif form.is_valid():
            try:
                application = commission.apply(
                    order,
                    seller=request.user,
                    reason=form.cleaned_data["reason"],
                    quantities=form.cleaned_data["quantities"],
                    now=now,
                    once=once,
                )
            except DomainError as error:
                form.add_domain_error(error)
                status = 400
            else:
                level = {
                    CommissionRefund.Status.GRANTED: messages.SUCCESS,
                    CommissionRefund.Status.REJECTED: messages.WARNING,
                }.get(application.status, messages.INFO)
                messages.add_message(
                    request,
                    level,
                    _("Application %(number)s is filed and was evaluated at once: %(status)s.")
                    % {"number": application.number, "status": application.get_status_display()},
                )
                return redirect(_application_url(application))
        else:
            status = 400
        if status == 400 and (first := already_done(request, once)):
            return redirect(_application_url(get_seller_commission_refund(account, first.result_id)))
    context = {
        "order": order,
        "form": form,
        "allowed": allowed,
        "refusal": refusal,
        "claim_deadline": commission.claim_deadline(order),
        "currency_symbol": CURRENCY_SYMBOLS.get(order.currency, order.currency),
        "now": now,
        "order_status": presenters.order_status_of(order, now),
    }
    return render(request, "orders/commission_refund_form.html", context, status=status)


@login_required
def commission_refund_list(request):
    """REB-06: the account's applications with status, amount and dates, by status."""
    account = seller_account_for(request.user)
    filters = CommissionRefundFilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    applications = CommissionRefund.objects.filter(seller_account=account)
    if status:
        applications = applications.filter(status=status)
    counts = dict(
        CommissionRefund.objects.filter(seller_account=account)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in CommissionRefund.Status.choices
    ]
    applications = applications.values(*presenters.COMMISSION_REFUND_FIELDS)
    page = page_of(request, applications, count=counts.get(status, 0) if status else sum(counts.values()))
    rows = presenters.CommissionRefundRows()
    page.object_list = [rows.row(application) for application in page.object_list]
    return render(
        request,
        "orders/commission_refund_list.html",
        {"account": account, "page": page, "status": status, "tabs": tabs},
    )


def _application_context(application, appeal_form=None):
    return {
        "application": application,
        "order": application.order,
        "conditions": commission.describe_conditions(application.unmet_conditions, application.order),
        "can_appeal": application.status == CommissionRefund.Status.REJECTED and application.appealed_at is None,
        "appeal_form": appeal_form or CommissionAppealForm(),
        "now": timezone.now(),
    }


@login_required
def commission_refund_detail(request, pk):
    """REB-04…07: the result in plain words, cancelling a pending application, the appeal
    form for a rejected one and the mediator's decision."""
    account = seller_account_for(request.user)
    application = get_seller_commission_refund(account, pk)
    return render(request, "orders/commission_refund_detail.html", _application_context(application))


@login_required
@require_POST
def commission_refund_appeal(request, pk):
    """REB-07: one appeal with a justification; it goes to the mediators' queue."""
    account = seller_account_for(request.user)
    application = get_seller_commission_refund(account, pk)
    form = CommissionAppealForm(request.POST)
    once = Submission.of(request)
    if form.is_valid():
        try:
            commission.appeal(application, seller=request.user, text=form.cleaned_data["text"], once=once)
        except DomainError as error:
            if already_done(request, once):
                return redirect(_application_url(application))
            if error.field not in form.fields:
                # The application is no longer open to an appeal: nothing typed to keep.
                messages.error(request, error.message)
                return redirect(_application_url(application))
            form.add_domain_error(error)
        else:
            messages.success(request, _("Your appeal is sent. A mediator will decide it; the decision will be here."))
            return redirect(_application_url(application))
    return render(request, "orders/commission_refund_detail.html", _application_context(application, form), status=400)


@login_required
@require_POST
def commission_refund_cancel(request, pk):
    """REB-06: a pending application is cancelled (confirmed on the application page)."""
    account = seller_account_for(request.user)
    application = get_seller_commission_refund(account, pk)
    once = Submission.of(request)
    try:
        commission.cancel(application, seller=request.user, once=once)
    except DomainError as error:
        if not already_done(request, once):
            messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Application %(number)s is cancelled; its units can be claimed again.") % {"number": application.number},
        )
    return redirect(_application_url(application))
