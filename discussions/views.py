"""Discussion pages for buyers and sellers (thin views: access, form, one service call).

Every form passes its submission to the service (`once`, SAFE-01: a repeated one shows
the first result) and every button of the state machine the version of the Discussion
its page showed (`seen_version`, and the proposal an answer names, SAFE-02)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.once import Submission, already_done, posted_number, token_input
from core.uploads import file_name_for
from orders.access import get_buyer_order, seller_account_for

from . import detail_presenters, list_counts, list_presenters, presenters, quality, rules, search, services
from .access import (
    get_attachment_for,
    get_buyer_discussion,
    get_buyer_discussion_page,
    get_message_for,
    get_seller_block,
    get_seller_discussion,
    get_seller_discussion_page,
)
from .forms import (
    BUYER_STATUS_CHOICES,
    BlockComplaintForm,
    MessageForm,
    OpenDiscussionForm,
    ProposalForm,
    ReportForm,
)
from .models import Notification, Role
from .rules import Action

PAGE_SIZE = 20


# --- Buyer ---------------------------------------------------------------------------


@login_required
def open_discussion(request, order_pk):
    order = get_buyer_order(request.user, order_pk)
    now = timezone.now()
    window = rules.opening_availability(order, now)
    # UX-02 / DSC-05: products with an open Discussion link to it instead of being offered.
    busy = presenters.open_discussions_by_line(order)
    form = OpenDiscussionForm(order=order, busy_lines=busy)
    if request.method == "POST" and window.allowed:
        form = OpenDiscussionForm(request.POST, request.FILES, order=order, busy_lines=busy)
        once = Submission.of(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                discussion = services.open_discussion(
                    order,
                    buyer=request.user,
                    line_id=data["line"],
                    reason=data["reason"],
                    expected_solution=data["expected_solution"],
                    expected_amount=data["expected_amount"],
                    expected_percent=data["expected_percent"],
                    text=data["text"],
                    files=data["files"],
                    once=once,
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Discussion started. The seller has 24 business hours to reply."))
                return redirect(discussion)
        if first := already_done(request, once):
            return redirect(get_buyer_discussion(request.user, first.result_id))
    return render(
        request,
        "discussions/open.html",
        {
            "order": order,
            "form": form,
            "window": window,
            "window_from": presenters.local_text(rules.opening_window(order)[0], order.market),
            "window_until": presenters.local_text(rules.opening_window(order)[1], order.market),
            "busy": busy.values(),
            "line_values_json": json.dumps(form.line_values),
        },
        status=400 if form.errors else 200,
    )


def _search_context(request):
    """UX-06: the search box's text as typed (shown again) and what it asks for."""
    typed = request.GET.get("q", "")[: search.MAX_LENGTH]
    found = search.Search.parse(typed)
    return found, {
        "q": typed,
        "search": found,
        "short_search": bool(found and found.text and not found.searches_titles),
        "min_title_length": search.MIN_TITLE_LENGTH,
    }


@login_required
def buyer_list(request):
    found, search_context = _search_context(request)
    statuses = dict(BUYER_STATUS_CHOICES)
    status = request.GET.get("status", "")
    status = status if status in statuses and status else ""
    listed = list_presenters.buyer_discussions(request.user.pk, status=status or None, search=found)
    page = list_presenters.ListPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list_presenters.discussion_rows(page.object_list, for_seller=False, now=timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "discussions/buyer_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "status_choices": BUYER_STATUS_CHOICES,
            "filtered": bool(status or found),
            "query": query.urlencode(),
            **search_context,
        },
    )


def _detail_context(request, discussion, role, message_form=None, proposal_form=None, open_proposal=False):
    """The Discussion page of `role`; bound forms (after a refused POST) are shown with
    the user's input and errors. The page's forms and its header carry one masked CSRF
    token (each get_token() masks the secret anew: 64 random characters)."""
    csrf_token = get_token(request)
    page = detail_presenters.discussion_page(
        discussion,
        role,
        request.user,
        timezone.now(),
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token) + token_input(request),
        message_form=message_form,
        proposal_form=proposal_form,
    )
    return {
        "discussion": discussion,
        "role": role,
        "page": page,
        "open_proposal": open_proposal,
        "csrf_token": csrf_token,
    }


@login_required
def buyer_detail(request, pk):
    discussion = get_buyer_discussion_page(request.user, pk)
    return render(request, "discussions/detail.html", _detail_context(request, discussion, Role.BUYER))


def _post_message(request, discussion, role, template_status=400):
    form = MessageForm(request.POST, request.FILES)
    once = Submission.of(request)
    if form.is_valid():
        try:
            services.post_message(
                discussion,
                author=request.user,
                role=role,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["files"],
                once=once,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Message sent."))
            return None
    if already_done(request, once):
        return None
    return render(
        request,
        "discussions/detail.html",
        _detail_context(request, discussion, role, message_form=form),
        status=template_status,
    )


@login_required
@require_POST
def buyer_message(request, pk):
    discussion = get_buyer_discussion(request.user, pk)
    return _post_message(request, discussion, Role.BUYER) or redirect(discussion)


BUYER_SERVICES = {
    Action.MARK_RESOLVED: (services.mark_resolved, gettext_lazy("You marked the Discussion as resolved.")),
    Action.MARK_UNRESOLVED: (
        services.mark_unresolved,
        gettext_lazy("You marked the Discussion as unresolved. An Allegro employee will help you agree."),
    ),
    Action.ASK_FOR_HELP: (
        services.ask_for_help,
        gettext_lazy("We have asked an Allegro employee to join the Discussion."),
    ),
    Action.REOPEN: (
        lambda discussion, buyer, **page: services.reopen_discussion(discussion, buyer=buyer, **page),
        gettext_lazy("The Discussion is open again."),
    ),
    Action.ACCEPT_PROPOSAL: (
        services.accept_proposal,
        gettext_lazy("You accepted the proposal. The Discussion is resolved."),
    ),
    Action.DECLINE_PROPOSAL: (services.decline_proposal, gettext_lazy("You declined the proposal.")),
}


# SAFE-03: irreversible, so the page's button first shows what will happen; the
# confirmation page's form (`confirm`, with the token, version and proposal the button
# carried) acts. A stale button goes straight to the service, which says what changed;
# a POST without a form token (scripts) acts at once, as before.
CONFIRMED_ACTIONS = {Action.MARK_RESOLVED, Action.MARK_UNRESOLVED, Action.REOPEN, Action.ACCEPT_PROPOSAL}
CONFIRM_FIELD = "confirm"


@login_required
@require_POST
def buyer_action(request, pk, slug):
    discussion = get_buyer_discussion(request.user, pk)
    action = presenters.BUYER_ACTION_SLUGS.get(slug)
    if action is None:
        raise Http404
    service, success = BUYER_SERVICES[action]
    once = Submission.of(request)
    page = {"once": once, "seen_version": posted_number(request)}
    if action in (Action.ACCEPT_PROPOSAL, Action.DECLINE_PROPOSAL):
        page["seen_proposal"] = posted_number(request, "proposal")
    if action in CONFIRMED_ACTIONS and once is not None and CONFIRM_FIELD not in request.POST:
        confirmation = detail_presenters.action_confirmation(discussion, action, timezone.now(), **page)
        if confirmation is not None:
            return render(request, "discussions/confirm_action.html", {"discussion": discussion, "page": confirmation})
    try:
        service(discussion, buyer=request.user, **page)
    except DomainError as error:
        if not already_done(request, once):
            messages.error(request, error.message)
    else:
        messages.success(request, str(success))
    return redirect(discussion)


def _report(request, discussion, message_pk, redirect_to):
    message = get_message_for(request.user, discussion, message_pk)
    form = ReportForm(request.POST)
    once = Submission.of(request)
    if form.is_valid():
        try:
            services.report_message(
                message,
                reporter=request.user,
                category=form.cleaned_data["category"],
                comment=form.cleaned_data["comment"],
                once=once,
            )
        except DomainError as error:
            if not already_done(request, once):
                messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you. An Allegro employee will review the report."))
    else:
        messages.error(request, _("Choose what the message contains."))
    return redirect(redirect_to)


@login_required
@require_POST
def buyer_report(request, pk, message_pk):
    discussion = get_buyer_discussion(request.user, pk)
    return _report(request, discussion, message_pk, discussion.get_absolute_url())


# --- Seller --------------------------------------------------------------------------


@login_required
def seller_list(request):
    account = seller_account_for(request.user)
    now = timezone.now()
    filters, filter_fields = list_presenters.seller_filters(request.GET)
    found, search_context = _search_context(request)
    counts = list_counts.seller_counts(account.pk, now)
    # Sorted by deadline: those waiting for a reply first, soonest deadline first.
    listed = list_presenters.seller_discussions(account.pk, filters, counts, now, search=found)
    page = list_presenters.ListPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "discussions/seller_list.html",
        {
            "page": page,
            "rows": list_presenters.discussion_rows(page.object_list, for_seller=True, now=now),
            "filter_fields": filter_fields,
            "counts": counts,
            "query": query.urlencode(),
            "filtered": bool(found or any(filters.values())),
            **search_context,
        },
    )


@login_required
def seller_detail(request, pk):
    discussion = get_seller_discussion_page(request.user, pk)
    return render(request, "discussions/detail.html", _detail_context(request, discussion, Role.SELLER))


@login_required
@require_POST
def seller_message(request, pk):
    discussion = get_seller_discussion(request.user, pk)
    return _post_message(request, discussion, Role.SELLER) or redirect(discussion.get_seller_url())


@login_required
@require_POST
def seller_propose(request, pk):
    discussion = get_seller_discussion(request.user, pk)
    form = ProposalForm(request.POST)
    once = Submission.of(request)
    if form.is_valid():
        try:
            services.propose_solution(
                discussion,
                seller=request.user,
                once=once,
                seen_version=posted_number(request),
                **form.cleaned_data,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Your proposal was sent to the buyer."))
            return redirect(discussion.get_seller_url())
    if already_done(request, once):
        return redirect(discussion.get_seller_url())
    return render(
        request,
        "discussions/detail.html",
        _detail_context(request, discussion, Role.SELLER, proposal_form=form, open_proposal=True),
        status=400,
    )


@login_required
@require_POST
def seller_request_end(request, pk):
    discussion = get_seller_discussion(request.user, pk)
    once = Submission.of(request)
    try:
        services.request_end(discussion, seller=request.user, once=once, seen_version=posted_number(request))
    except DomainError as error:
        if not already_done(request, once):
            messages.error(request, error.message)
    else:
        messages.success(request, _("We asked the buyer to mark the Discussion as resolved."))
    return redirect(discussion.get_seller_url())


@login_required
@require_POST
def seller_report(request, pk, message_pk):
    discussion = get_seller_discussion(request.user, pk)
    return _report(request, discussion, message_pk, discussion.get_seller_url())


def _block_page(request, block, form=None, status=200):
    now = timezone.now()
    return render(
        request,
        "discussions/seller_block.html",
        {
            "account_block": block,  # not "block": templates reserve it inside {% block %}
            "market": block.seller_account.market,
            "can_complain": block.can_file_complaint(now),
            "form": form or BlockComplaintForm(),
        },
        status=status,
    )


@login_required
def seller_block_detail(request, pk):
    """MED-09: the statement of reasons of a block, and the seller's complaint against it."""
    return _block_page(request, get_seller_block(request.user, pk))


@login_required
@require_POST
def seller_block_complaint(request, pk):
    block = get_seller_block(request.user, pk)
    form = BlockComplaintForm(request.POST)
    once = Submission.of(request)
    if form.is_valid():
        try:
            services.file_block_complaint(block, seller_user=request.user, text=form.cleaned_data["text"], once=once)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Your complaint was filed. Another Allegro employee will decide it."))
            return redirect(block.get_seller_url())
    if already_done(request, once):
        return redirect(block.get_seller_url())
    return _block_page(request, block, form, status=400)


@login_required
def seller_quality(request):
    """QLT-01/02: Jakość mojej sprzedaży — the signed-in seller account's figures and charts."""
    account = seller_account_for(request.user)
    return render(request, "discussions/quality.html", quality.panel(account, timezone.now()))


# --- Shared --------------------------------------------------------------------------


@login_required
def attachment(request, pk):
    """SEC-02: files are served only through this access-checking view."""
    item = get_attachment_for(request.user, pk)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    disposition = "inline" if item.is_image or item.content_type == "application/pdf" else "attachment"
    name = file_name_for(item.original_name, item.content_type)  # SAFE-08: the detected type's extension
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _quote(name):
    from urllib.parse import quote

    return quote(name)


@login_required
def notifications(request):
    return render(request, "discussions/notifications.html", {"items": list_presenters.notification_rows(request.user)})


@login_required
@require_POST
def notifications_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("discussions:notifications")
