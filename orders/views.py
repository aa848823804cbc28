"""Pages of the order flow: browsing and buying, *Moje zakupy*, seller *Zamówienia*, and
the market and language switches. The commission-refund pages are orders.commission_views.

Thin views: an access helper (404 for anything foreign), a form, one service call,
a message and a redirect; a refused action re-renders the page with the input kept.
Each form's submission goes to its service (`once`, SAFE-01); when the same form was
done before, the refusal gives way to the first result (core.once.already_done).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.money import money
from core.once import Submission, already_done
from core.prepared import PreparedQuery

from . import checks, commission, presenters, services, tallies
from .access import get_buyer_order, get_seller_order, seller_account_for
from .forms import BuyForm, RefundForm, SellerOrderFilterForm, TrackingForm
from .models import CommissionRefund, Market, Offer, Order
from .presenters.order_page import RefundConfirmation

PAGE_SIZE = 20


def page_of(request, queryset, count=None):
    """A page of `queryset`; `count`, when known, spares the count query."""
    paginator = Paginator(queryset, PAGE_SIZE)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def home(request):
    # Meta.ordering does not apply to a GROUP BY query: the order is said here.
    markets = Market.objects.annotate(
        offer_count=Count(
            "offers", filter=Q(offers__is_active=True, offers__stock__gt=0) & checks.listed_offers_q("offers__")
        )
    ).order_by("code")
    # The market the visitor is on first (SPEC §0): its offers are the ones shown; a
    # blocked seller account's are listed nowhere (UX-08).
    recent = Offer.objects.filter(checks.listed_offers_q(), is_active=True, stock__gt=0, market_id=request.market_code)
    recent = presenters.offer_cards(recent.values(*presenters.OFFER_FIELDS)[:6])
    return render(request, "orders/home.html", {"markets": markets, "recent_offers": recent})


ALL_MARKETS = "all"


def offer_list(request):
    """ORD-01: the offers of the market the visitor is on, or of another market or all
    of them when chosen in the filter."""
    offers = Offer.objects.filter(checks.listed_offers_q(), is_active=True)
    market = request.GET.get("market", request.market_code)
    if market in Market.Code.values:
        offers = offers.filter(market_id=market)
    else:
        market = ALL_MARKETS
    page = page_of(request, offers.values(*presenters.OFFER_FIELDS), count=offers.count())
    page.object_list = presenters.offer_cards(page.object_list)
    return render(
        request,
        "orders/offer_list.html",
        {"page": page, "markets": Market.objects.all(), "selected_market": market},
    )


def offer_detail(request, pk):
    offer = get_object_or_404(Offer.objects.select_related("market", "seller_account__user"), pk=pk)
    form = BuyForm()
    refusal = None
    if request.user.is_authenticated:
        refusal = services.purchase_refusal(buyer=request.user, offer=offer)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = BuyForm(request.POST)
        once = Submission.of(request)
        if form.is_valid():
            try:
                order = services.buy_offer(
                    offer,
                    buyer=request.user,
                    quantity=form.cleaned_data["quantity"],
                    payment_method=form.cleaned_data["payment_method"],
                    once=once,
                )
            except DomainError as error:
                form.add_domain_error(error)
                offer.refresh_from_db()
            else:
                messages.success(request, _("Thank you! Your order %(number)s is placed.") % {"number": order.number})
                return redirect(order)
        if first := already_done(request, once):
            return redirect(get_buyer_order(request.user, first.result_id))
    return render(request, "orders/offer_detail.html", {"offer": offer, "form": form, "refusal": refusal})


# --- Buyer: Moje zakupy -------------------------------------------------------------


@login_required
def purchase_list(request):
    """ORD-09: the buyer's orders, newest first; rows from orders.presenters (issue 13)."""
    now = timezone.now()
    orders = Order.objects.filter(buyer=request.user).values(*presenters.PURCHASE_FIELDS)
    page = page_of(request, orders, count=tallies.buyer_order_count(request.user, now))
    page.object_list = presenters.PurchaseRows(now).rows(list(page.object_list))
    return render(request, "orders/purchase_list.html", {"page": page})


@login_required
def purchase_detail(request, pk):
    order = get_buyer_order(request.user, pk)
    now = timezone.now()
    context = {
        "order": order,
        "now": now,
        "order_page": presenters.OrderPage(order, now, discussion_url="discussions:buyer_detail"),
    }
    return render(request, "orders/purchase_detail.html", context)


def _buyer_action(request, pk, action, success_message):
    order = get_buyer_order(request.user, pk)
    once = Submission.of(request)
    try:
        action(order, buyer=request.user, once=once)
    except DomainError as error:
        if not already_done(request, once):
            messages.error(request, error.message)
    else:
        messages.success(request, success_message)
    return redirect(order)


@login_required
@require_POST
def purchase_pay(request, pk):
    return _buyer_action(request, pk, services.pay_order, _("Payment received through Allegro Finanse. Thank you!"))


@login_required
@require_POST
def purchase_cancel(request, pk):
    return _buyer_action(request, pk, services.cancel_order, _("You cancelled this purchase."))


@login_required
@require_POST
def purchase_withdraw(request, pk):
    """The buyer withdraws from a paid purchase (odstąpienie od umowy); the seller's refund
    then files the automatic commission-refund application (REB-08)."""
    return _buyer_action(
        request,
        pk,
        services.withdraw_from_paid,
        _("You withdrew from the purchase. The seller will refund your money through Allegro Finanse."),
    )


# --- Seller: Zamówienia -------------------------------------------------------------


def _granted_commission():
    """ORD-04: the commission granted back on each order, as a subquery of the list's one
    query (a join would multiply with the Discussions joined by the filters)."""
    granted = (
        CommissionRefund.objects.filter(order=OuterRef("pk"), status=CommissionRefund.Status.GRANTED)
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(granted, output_field=DecimalField(max_digits=12, decimal_places=2))


def _seller_orders(account_id, show, now):
    """The account's orders of the tab `show`, as values() of SELLER_ORDER_FIELDS."""
    orders = Order.objects.filter(seller_account_id=account_id)
    if show == "unpaid":
        orders = orders.filter(status=Order.Status.AWAITING_PAYMENT)
    elif show == "overdue":
        orders = orders.filter(status=Order.Status.AWAITING_PAYMENT, payment_due_at__lt=now)
    elif show == "with_discussion":
        discussions = Order._meta.get_field("discussions").related_model
        orders = orders.filter(Exists(discussions.objects.filter(order=OuterRef("pk"))))
    elif show == "to_ship":
        orders = orders.filter(status=Order.Status.PAID).filter(
            Q(shipment__isnull=True) | Q(shipment__handed_over_at__isnull=True)
        )
    return orders.annotate(commission_granted=_granted_commission()).values(*presenters.SELLER_ORDER_FIELDS)


class _PreparedOrderPages:
    """The pages of a tab that does not depend on the time (all but "overdue"), read by a
    query compiled once per tab, page and process (core.prepared, issue 13): building and
    compiling the annotated queryset cost more than reading and showing its 20 rows."""

    _queries = {}

    def __init__(self, account_id, show):
        self.account_id, self.show = account_id, show

    def __getitem__(self, page):
        if page.stop <= page.start:  # an empty tab's page (a query of no rows does not compile)
            return []
        show = self.show
        key = (show, page.start, page.stop)
        query = self._queries.get(key)
        if query is None:
            if len(self._queries) > 256:  # page numbers are the user's: keep a bounded few
                self._queries.clear()
            query = self._queries[key] = PreparedQuery(
                lambda account_id: _seller_orders(account_id, show, None)[page].values_list(
                    *presenters.SELLER_ORDER_FIELDS
                )
            )
        rows = query.rows(self.account_id)
        names = query.compiled(1).names  # the columns in the SQL's order
        return [dict(zip(names, row, strict=True)) for row in rows]


@login_required
def seller_order_list(request):
    """ORD-09: the account's orders by tab, newest first; counts from orders.tallies, rows
    from orders.presenters (issue 13)."""
    account = seller_account_for(request.user)
    now = timezone.now()
    filters = SellerOrderFilterForm(request.GET)
    show = filters.cleaned_data.get("show", "") if filters.is_valid() else ""
    counts = tallies.seller_order_counts(account, now)
    # "Overdue" depends on the time: built per request; every other tab is compiled once.
    orders = _seller_orders(account.pk, show, now) if show == "overdue" else _PreparedOrderPages(account.pk, show)
    page = page_of(request, orders, count=counts[show or "total"])
    page.object_list = presenters.SellerOrderRows(now).rows(list(page.object_list))
    return render(
        request,
        "orders/seller_order_list.html",
        {
            "account": account,
            "page": page,
            "show": show,
            "filters": SellerOrderFilterForm.FILTERS,
            "counts": counts,
        },
    )


# The order's commission-refund applications, by a query compiled once (core.prepared).
_APPLICATIONS = PreparedQuery(
    lambda order_id: (
        CommissionRefund.objects.filter(order_id=order_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", "reason", "amount", "status")
    )
)


def _seller_detail_context(order, tracking_form=None, refund_form=None):
    now = timezone.now()
    applications = [tuple(row) for row in _APPLICATIONS.rows(order.pk)]
    allowed, refusal = commission.can_apply(order, now)
    claimed = commission.claimed_units(order) if applications else {}
    rows = presenters.CommissionRefundRows()
    shipment = getattr(order, "shipment", None)
    carrier, tracking_number = (shipment.carrier, shipment.tracking_number) if shipment else ("", "")
    if tracking_form is None:
        tracking_form = TrackingForm(initial={"carrier": carrier, "tracking_number": tracking_number})
    if refund_form is None:
        # SAFE-03: nothing chosen beforehand; the seller says what to refund.
        refund_form = RefundForm(order=order, initial={"kind": None})
    lines = tuple((line.pk, line.title, line.quantity) for line in order.lines.all())
    return {
        "order": order,
        "now": now,
        "order_page": presenters.OrderPage(order, now, discussion_url="discussions:seller_detail"),
        "commission_refunds": [rows.of_order(*application, order.market.currency) for application in applications],
        "commission_granted": sum(
            amount for _pk, _reason, amount, status in applications if status == CommissionRefund.Status.GRANTED
        ),
        "commission_refund_allowed": allowed,
        "commission_refund_refusal": refusal,
        "commission_units_free": sum(max(line.quantity - claimed.get(line.pk, 0), 0) for line in order.lines.all()),
        "commission_claim_deadline": commission.claim_deadline(order),
        "tracking_form": tracking_form,
        "tracking_fields": presenters.form_fields(
            "orders/includes/tracking_fields.html", "tracking_form", tracking_form, (carrier, tracking_number)
        ),
        "refund_form": refund_form,
        "refund_fields": presenters.form_fields(
            "orders/includes/refund_fields.html", "refund_form", refund_form, lines
        ),
    }


@login_required
def seller_order_detail(request, pk):
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    return render(request, "orders/seller_order_detail.html", _seller_detail_context(order))


@login_required
@require_POST
def seller_order_tracking(request, pk):
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    form = TrackingForm(request.POST)
    once = Submission.of(request)
    if form.is_valid():
        try:
            services.enter_tracking(
                order,
                seller=request.user,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                once=once,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Tracking number saved."))
            return redirect(order.get_seller_url())
    if already_done(request, once):
        return redirect(order.get_seller_url())
    return render(
        request, "orders/seller_order_detail.html", _seller_detail_context(order, tracking_form=form), status=400
    )


CONFIRM_FIELD = "confirm"


@login_required
@require_POST
def seller_order_refund(request, pk):
    """ORD-07. SAFE-03: the page's form first shows what the refund will do; the
    confirmation page's form (`confirm`, the same form token and fields) refunds. A POST
    without a form token (scripts) refunds at once, as before."""
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    form = RefundForm(request.POST, order=order)
    once = Submission.of(request)
    if form.is_valid() and once is not None and CONFIRM_FIELD not in request.POST:
        confirmation = RefundConfirmation(order, **form.service_kwargs())
        if not confirmation.error:
            fields = [(name, value) for name, value in request.POST.items() if name in form.fields]
            context = {"order": order, "confirmation": confirmation, "fields": fields, "token": once.token}
            return render(request, "orders/seller_refund_confirm.html", context)
        form.add_error(confirmation.error_field, confirmation.error)
    elif form.is_valid():
        try:
            refund = services.refund_order(order, seller=request.user, once=once, **form.service_kwargs())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s through Allegro Finanse.")
                % {"amount": money(refund.amount, order.market.currency)},
            )
            return redirect(order.get_seller_url())
    if already_done(request, once):
        return redirect(order.get_seller_url())
    return render(
        request, "orders/seller_order_detail.html", _seller_detail_context(order, refund_form=form), status=400
    )


def _seller_action(request, pk, action, success_message):
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    once = Submission.of(request)
    try:
        action(order, seller=request.user, once=once)
    except DomainError as error:
        if not already_done(request, once):
            messages.error(request, error.message)
    else:
        messages.success(request, success_message)
    return redirect(order.get_seller_url())


@login_required
@require_POST
def seller_order_handed_over(request, pk):
    return _seller_action(request, pk, services.mark_handed_over, _("Parcel marked as handed to the carrier."))


@login_required
@require_POST
def seller_order_transfer_received(request, pk):
    return _seller_action(request, pk, services.mark_transfer_received, _("Bank transfer marked as received."))


@require_POST
def set_market(request):
    """The market switch (SPEC §0): remembers the market in a cookie and lets its language
    apply (the language cookie is dropped; the user can switch the language again)."""
    from django.conf import settings
    from django.utils.http import url_has_allowed_host_and_scheme

    from core.markets import MARKET_LANGUAGES, SESSION_LANGUAGE_KEY

    code = request.POST.get("market", "").upper()
    target = request.POST.get("next") or "/"
    host = request.get_host()
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={host}, require_https=request.is_secure()):
        target = "/"
    # Not redirect(): it would take a `next` without "/" or "." for a view name (SAFE-09).
    response = HttpResponseRedirect(target)
    if code in MARKET_LANGUAGES:
        response.set_cookie(
            settings.MARKET_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure()
        )
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        request.session.pop(SESSION_LANGUAGE_KEY, None)
    return response


@require_POST
def set_language(request):
    """Django's language switch, remembering the choice for signed-in users so that
    automatic messages and mails reach them in it (I18N-01)."""
    from django.conf import settings
    from django.views.i18n import set_language as django_set_language

    from .models import Profile

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    return response
