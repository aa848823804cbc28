"""Pages of the order flow: browsing and buying, *Moje zakupy*, seller *Zamówienia*.

Thin views: an access helper (404 for anything foreign), a form, one service call,
a message and a redirect; a refused action re-renders the page with the input kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError

from . import services
from .access import get_buyer_order, get_seller_order, seller_account_for
from .forms import BuyForm, RefundForm, SellerOrderFilterForm, TrackingForm
from .models import Market, Offer, Order, OrderLine

PAGE_SIZE = 20


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def home(request):
    markets = Market.objects.annotate(
        offer_count=Count("offers", filter=Q(offers__is_active=True, offers__stock__gt=0))
    )
    recent = Offer.objects.filter(is_active=True, stock__gt=0).select_related("market", "seller_account__user")[:6]
    return render(request, "orders/home.html", {"markets": markets, "recent_offers": recent})


def offer_list(request):
    offers = Offer.objects.filter(is_active=True).select_related("market", "seller_account__user")
    market = request.GET.get("market", "")
    if market in Market.Code.values:
        offers = offers.filter(market_id=market)
    else:
        market = ""
    return render(
        request,
        "orders/offer_list.html",
        {"page": _page(request, offers), "markets": Market.objects.all(), "selected_market": market},
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
        if form.is_valid():
            try:
                order = services.buy_offer(
                    offer,
                    buyer=request.user,
                    quantity=form.cleaned_data["quantity"],
                    payment_method=form.cleaned_data["payment_method"],
                )
            except DomainError as error:
                form.add_domain_error(error)
                offer.refresh_from_db()
            else:
                messages.success(request, _("Thank you! Your order %(number)s is placed.") % {"number": order.number})
                return redirect(order)
    return render(request, "orders/offer_detail.html", {"offer": offer, "form": form, "refusal": refusal})


# --- Buyer: Moje zakupy -------------------------------------------------------------


@login_required
def purchase_list(request):
    orders = (
        Order.objects.filter(buyer=request.user)
        .select_related("market", "seller_account__user", "shipment")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")), "discussions")
    )
    return render(request, "orders/purchase_list.html", {"page": _page(request, orders), "now": timezone.now()})


@login_required
def purchase_detail(request, pk):
    order = get_buyer_order(request.user, pk)
    return render(request, "orders/purchase_detail.html", {"order": order, "now": timezone.now()})


def _buyer_action(request, pk, action, success_message):
    order = get_buyer_order(request.user, pk)
    try:
        action(order, buyer=request.user)
    except DomainError as error:
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


# --- Seller: Zamówienia -------------------------------------------------------------


@login_required
def seller_order_list(request):
    account = seller_account_for(request.user)
    now = timezone.now()
    filters = SellerOrderFilterForm(request.GET)
    show = filters.cleaned_data.get("show", "") if filters.is_valid() else ""
    orders = (
        Order.objects.filter(seller_account=account)
        .select_related("market", "buyer", "shipment")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")), "discussions")
    )
    if show == "unpaid":
        orders = orders.filter(status=Order.Status.AWAITING_PAYMENT)
    elif show == "overdue":
        orders = orders.filter(status=Order.Status.AWAITING_PAYMENT, payment_due_at__lt=now)
    elif show == "with_discussion":
        orders = orders.filter(discussions__isnull=False).distinct()
    elif show == "to_ship":
        orders = orders.filter(status=Order.Status.PAID).filter(
            Q(shipment__isnull=True) | Q(shipment__handed_over_at__isnull=True)
        )
    counts = Order.objects.filter(seller_account=account).aggregate(
        unpaid=Count("pk", filter=Q(status=Order.Status.AWAITING_PAYMENT), distinct=True),
        overdue=Count("pk", filter=Q(status=Order.Status.AWAITING_PAYMENT, payment_due_at__lt=now), distinct=True),
        with_discussion=Count("pk", filter=Q(discussions__isnull=False), distinct=True),
        to_ship=Count(
            "pk",
            filter=Q(status=Order.Status.PAID) & (Q(shipment__isnull=True) | Q(shipment__handed_over_at__isnull=True)),
            distinct=True,
        ),
    )
    return render(
        request,
        "orders/seller_order_list.html",
        {
            "account": account,
            "page": _page(request, orders),
            "show": show,
            "filters": SellerOrderFilterForm.FILTERS,
            "counts": counts,
            "now": now,
        },
    )


def _seller_detail_context(order, **forms):
    context = {
        "order": order,
        "now": timezone.now(),
        "tracking_form": TrackingForm(
            initial={
                "carrier": getattr(getattr(order, "shipment", None), "carrier", ""),
                "tracking_number": getattr(getattr(order, "shipment", None), "tracking_number", ""),
            }
        ),
        "refund_form": RefundForm(order=order),
    }
    context.update(forms)
    return context


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
    if form.is_valid():
        try:
            services.enter_tracking(
                order,
                seller=request.user,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Tracking number saved."))
            return redirect(order.get_seller_url())
    return render(
        request, "orders/seller_order_detail.html", _seller_detail_context(order, tracking_form=form), status=400
    )


@login_required
@require_POST
def seller_order_refund(request, pk):
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    form = RefundForm(request.POST, order=order)
    if form.is_valid():
        try:
            refund = services.refund_order(order, seller=request.user, **form.service_kwargs())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s %(currency)s through Allegro Finanse.")
                % {"amount": refund.amount, "currency": order.currency},
            )
            return redirect(order.get_seller_url())
    return render(
        request, "orders/seller_order_detail.html", _seller_detail_context(order, refund_form=form), status=400
    )


def _seller_action(request, pk, action, success_message):
    account = seller_account_for(request.user)
    order = get_seller_order(account, pk)
    try:
        action(order, seller=request.user)
    except DomainError as error:
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
