"""Pages of *Moi nieaktywni kupujący* (BLK-01…09): the tab, the three-step add wizard,
removal with confirmation and the evidence pictures.

Thin views: access helpers (404 for anything foreign), a form, one service call, a
message and a redirect. The wizard keeps what was entered in the session (buyers.wizard)
and writes nothing until the seller confirms the summary (BLK-06).
"""

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import market_date
from core.errors import DomainError
from core.uploads import file_name_for
from orders.access import seller_account_for

from . import presenters, services
from .access import entry_for_token, get_account_entry, get_evidence_image
from .forms import BuyerStepForm, ImagesStepForm, OrdersStepForm
from .models import InactiveBuyer
from .wizard import BUYER, EVIDENCE, STEPS, SUMMARY, Wizard, parse_token

PAGE_SIZE = 20
NOT_ELIGIBLE = "not_eligible"


# --- The tab ---------------------------------------------------------------------------------


@login_required
def tab(request):
    """BLK-01/02: the account's entries with their expiry dates; history apart (SEC-03).
    Entries from buyers.presenters (issue 13)."""
    account = seller_account_for(request.user)
    now = timezone.now()
    current = Q(removed_at__isnull=True, expires_at__gt=now)
    show_history = request.GET.get("show") == "history"
    entries = InactiveBuyer.objects.filter(seller_account=account)
    if show_history:
        entries = entries.exclude(current).order_by("-removed_at", "-expires_at", "-pk")
    else:
        entries = entries.filter(current)
    counts = InactiveBuyer.objects.filter(seller_account=account).aggregate(
        active=Count("pk", filter=current), history=Count("pk", filter=~current)
    )
    paginator = Paginator(entries.values(*presenters.ENTRY_FIELDS), PAGE_SIZE)
    paginator.count = counts["history" if show_history else "active"]
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = presenters.TabEntries(account.market, now).entries(list(page.object_list))
    return render(
        request,
        "buyers/tab.html",
        {"account": account, "page": page, "counts": counts, "show_history": show_history},
    )


@login_required
def remove(request, pk):
    """BLK-01: the trash icon leads here; the entry goes only after confirmation."""
    account = seller_account_for(request.user)
    entry = get_account_entry(account, pk)
    if not entry.is_active:
        messages.info(request, _("%(login)s is no longer in your tab.") % {"login": entry.buyer.username})
        return redirect("buyers:tab")
    if request.method == "POST":
        try:
            services.remove_entry(entry, seller=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(login)s was removed from your tab and can buy in your offers again.")
                % {"login": entry.buyer.username},
            )
        return redirect("buyers:tab")
    return render(request, "buyers/remove.html", {"entry": entry, "market": account.market})


# --- Evidence --------------------------------------------------------------------------------


def _serve_evidence(request, pk, *, thumbnail):
    image = get_evidence_image(request.user, getattr(request.user, "seller_account", None), pk)
    field = image.thumbnail if thumbnail else image.file
    response = FileResponse(field.open("rb"), content_type=image.content_type)
    name = file_name_for(image.original_name, image.content_type)  # SAFE-08: the detected type's extension
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def evidence(request, pk):
    """BLK-06/SEC-02: a picture is served only to its entry's seller account and mediators."""
    return _serve_evidence(request, pk, thumbnail=False)


@login_required
def evidence_thumbnail(request, pk):
    return _serve_evidence(request, pk, thumbnail=True)


# --- The add wizard --------------------------------------------------------------------------


def _step_url(wizard, step):
    return f"{reverse('buyers:add')}?{urlencode({'wizard': wizard.token, 'step': step})}"


def _confirmed(request, account, entry):
    messages.success(
        request,
        _("%(login)s is in your inactive buyers tab until %(date)s.")
        % {"login": entry.buyer.username, "date": market_date(entry.expires_at, account.market)},
    )
    return redirect("buyers:tab")


@login_required
def add(request):
    """BLK-03…08 in three steps on one address: `wizard` names the wizard's state in the
    session, `step` the step; a step not reached yet sends the seller to the right one."""
    account = seller_account_for(request.user)
    params = request.POST if request.method == "POST" else request.GET
    token = params.get("wizard")
    wizard = None
    if token:
        wizard = Wizard.load(request.session, account, token)
        if wizard is None:
            entry = entry_for_token(account, parse_token(token))
            if entry is not None:
                # The summary was confirmed already (a second click, or Back after it).
                return _confirmed(request, account, entry)
            messages.warning(request, _("This form has expired. Please start again."))
            return redirect("buyers:add")
    step = params.get("step", BUYER)
    if wizard is None or step not in STEPS:
        step = BUYER
    elif STEPS.index(step) > STEPS.index(wizard.furthest_step()):
        return redirect(_step_url(wizard, wizard.furthest_step()))
    elif step == EVIDENCE and wizard.is_linked_copy:
        return redirect(_step_url(wizard, SUMMARY))
    handler = {BUYER: _buyer_step, EVIDENCE: _evidence_step, SUMMARY: _summary_step}[step]
    return handler(request, account, wizard)


def _wizard_page(request, template, context, *, status=200):
    return render(request, template, {"steps": STEPS, **context}, status=status)


def _buyer_step(request, account, wizard):
    """Step 1: login, reason, optional note; the BLK-03 eligibility check."""
    not_eligible = False
    if request.method == "POST":
        form = BuyerStepForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                check = services.check_buyer(account, data["login"])
                # A copy from a linked account takes the original's reason (BLK-08).
                reason = check.linked_entry.reason if check.is_linked_copy else data["reason"]
                reason, note = services.check_reason(reason, data["note"])
            except DomainError as error:
                form.add_domain_error(error)
                not_eligible = error.code == NOT_ELIGIBLE
            else:
                if wizard is None:
                    wizard = Wizard.start(request.session, account, services.new_token())
                wizard.set_buyer(
                    login=check.buyer.username,
                    reason=reason,
                    note=note,
                    linked_entry=check.linked_entry.pk if check.is_linked_copy else None,
                )
                wizard.save()
                return redirect(_step_url(wizard, SUMMARY if check.is_linked_copy else EVIDENCE))
    elif wizard is not None:
        form = BuyerStepForm(initial={"login": wizard.login, "reason": wizard.reason, "note": wizard.note})
    else:
        form = BuyerStepForm()
    return _wizard_page(
        request,
        "buyers/add_buyer.html",
        {"form": form, "wizard": wizard, "step": BUYER, "not_eligible": not_eligible},
        status=400 if form.errors else 200,
    )


def _check_wizard_buyer(request, account, wizard):
    """Step 1's verdict again, for steps 2 and 3: things may have changed meanwhile."""
    try:
        check = services.check_buyer(account, wizard.login)
    except DomainError as error:
        messages.error(request, error.message)
        return None
    if check.is_linked_copy != wizard.is_linked_copy:
        messages.warning(request, _("The buyer's situation has changed. Please check the details again."))
        return None
    return check


def _evidence_step(request, account, wizard):
    """Step 2 (BLK-05): 3–5 pictures for THREATS, otherwise 3–5 of the buyer's orders."""
    check = _check_wizard_buyer(request, account, wizard)
    if check is None:
        return redirect(_step_url(wizard, BUYER))
    context = {"wizard": wizard, "step": EVIDENCE, "buyer": check.buyer, "market": account.market}
    if wizard.needs_images:
        form = ImagesStepForm()
        if request.method == "POST":
            form = ImagesStepForm(request.POST, request.FILES)
            if form.is_valid():
                files = form.cleaned_data["files"]
                try:
                    if files or not wizard.files:
                        wizard.set_images(services.check_images(files))
                    else:
                        wizard.keep_images()  # Back and Next again: the staged pictures stay
                except DomainError as error:
                    form.add_domain_error(error)
                else:
                    wizard.save()
                    return redirect(_step_url(wizard, SUMMARY))
        context.update(form=form, thumbnails=wizard.thumbnails())
    else:
        orders = check.recent_orders
        form = OrdersStepForm(orders=orders, initial={"orders": wizard.order_ids})
        if request.method == "POST":
            form = OrdersStepForm(request.POST, orders=orders)
            if form.is_valid():
                try:
                    chosen = services.check_orders(account, check.buyer, form.cleaned_data["orders"])
                except DomainError as error:
                    form.add_domain_error(error)
                else:
                    wizard.set_orders(chosen)
                    wizard.save()
                    return redirect(_step_url(wizard, SUMMARY))
        selected = {str(value) for value in (form["orders"].value() or [])}
        context.update(form=form, orders=orders, selected=selected)
    return _wizard_page(request, "buyers/add_evidence.html", context, status=400 if form.errors else 200)


def _summary_step(request, account, wizard):
    """Step 3 (BLK-06): everything entered, the BLK-07 warning, *Dodaj kupującego*."""
    if request.method == "POST":
        return _confirm(request, account, wizard)
    check = _check_wizard_buyer(request, account, wizard)
    if check is None:
        return redirect(_step_url(wizard, BUYER))
    context = {
        "wizard": wizard,
        "step": SUMMARY,
        "buyer": check.buyer,
        "market": account.market,
        "linked_entry": check.linked_entry,
        "expires_preview": timezone.now() + services.WINDOW,
    }
    if not wizard.is_linked_copy:
        if wizard.needs_images:
            context["thumbnails"] = wizard.thumbnails()
        else:
            try:
                orders = services.check_orders(account, check.buyer, wizard.order_ids)
            except DomainError as error:
                messages.error(request, error.message)
                return redirect(_step_url(wizard, EVIDENCE))
            # UX-10: as the evidence step lists them (newest first, what went wrong).
            chosen = {order.pk for order in orders}
            context["orders"] = [order for order in check.recent_orders if order.pk in chosen]
            context["unjustified_warning"] = services.unjustified_warning(orders)
    return _wizard_page(request, "buyers/add_summary.html", context)


FIELD_STEPS = {"login": BUYER, "reason": BUYER, "note": BUYER, "files": EVIDENCE, "orders": EVIDENCE}


def _confirm(request, account, wizard):
    entry = entry_for_token(account, wizard.token)
    if entry is not None:
        wizard.discard()
        return _confirmed(request, account, entry)
    images = ()
    if wizard.needs_images and not wizard.is_linked_copy:
        try:
            images = wizard.uploads()
        except OSError:
            entry = entry_for_token(account, wizard.token)
            if entry is not None:  # the other click of a double submit got there first
                return _confirmed(request, account, entry)
            messages.error(request, _("The pictures you added are no longer available. Please add them again."))
            return redirect(_step_url(wizard, EVIDENCE))
    try:
        entry = services.add_entry(
            account,
            seller=request.user,
            login=wizard.login,
            reason=wizard.reason,
            note=wizard.note,
            images=images,
            order_ids=() if wizard.needs_images else wizard.order_ids,
            token=wizard.token,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_step_url(wizard, FIELD_STEPS.get(error.field, SUMMARY)))
    wizard.discard()
    return _confirmed(request, account, entry)
