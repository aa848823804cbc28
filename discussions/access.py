"""Object access for Discussion pages: anything foreign is a 404 (SEC-01)."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import FilteredRelation, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.prepared import PreparedQuery
from orders.access import seller_account_for
from orders.models import Market, Order, OrderLine, SellerAccount

from .models import Attachment, Discussion, Message, Proposal, SellerBlock


def _detail_queryset():
    return Discussion.objects.select_related(
        "order__market", "order__shipment", "line", "market", "buyer", "seller_account__user", "mediator"
    ).prefetch_related(
        Prefetch(
            "messages",
            queryset=Message.objects.select_related("author")
            .prefetch_related("attachments")
            .order_by("created_at", "pk"),
        ),
        Prefetch(
            "proposals",
            queryset=Proposal.objects.filter(status=Proposal.Status.PENDING),
            to_attr="pending_proposals",
        ),
        "status_changes",
    )


# --- The Discussion page ------------------------------------------------------------
# The page reads the Discussion with its order, product line, market and pending proposal
# (at most one: proposal_one_pending_per_discussion) in one query compiled once per
# process (core.prepared); the rows become model instances as select_related() would make
# them. Related rows carry only the columns the page uses; any other is loaded on access.

_PAGE_RELATED = {
    # relation: model, columns (None: all)
    "order": (Order, ("id", "created_at")),
    "line": (OrderLine, ("id", "title")),
    "market": (Market, None),
}
_SELLER_PAGE_RELATED = {
    **_PAGE_RELATED,
    "seller_account": (SellerAccount, ("id", "user_id")),
    "buyer": (Discussion.buyer.field.related_model, ("id", "username")),
}
_PENDING = "pending_proposal"
_PROPOSAL_COLUMNS = ("id", "solution", "amount", "percent", "requires_return", "created_at")


def _columns(model, names):
    return tuple(field.attname for field in model._meta.concrete_fields) if names is None else names


def _page_query(related, user_lookup):
    def build(pk, user_id):
        return (
            Discussion.objects.filter(pk=pk, **{user_lookup: user_id})
            .annotate(
                **{_PENDING: FilteredRelation("proposals", condition=Q(proposals__status=Proposal.Status.PENDING))}
            )
            .values_list(
                *_columns(Discussion, None),
                *(f"{name}__{column}" for name, (model, names) in related.items() for column in _columns(model, names)),
                *(f"{_PENDING}__{column}" for column in _PROPOSAL_COLUMNS),
            )
        )

    return PreparedQuery(build)


_BUYER_PAGE = _page_query(_PAGE_RELATED, "buyer_id")
_SELLER_PAGE = _page_query(_SELLER_PAGE_RELATED, "seller_account__user_id")


def _page_discussion(query, related, pk, user_id):
    rows = query.rows(pk, user_id)
    if not rows:
        raise Http404
    row = rows[0]
    db = DEFAULT_DB_ALIAS
    names = _columns(Discussion, None)
    discussion = Discussion.from_db(db, names, row[: len(names)])
    start = len(names)
    for name, (model, columns) in related.items():
        columns = _columns(model, columns)
        instance = model.from_db(db, columns, row[start : start + len(columns)])
        Discussion._meta.get_field(name).set_cached_value(discussion, instance)
        start += len(columns)
    pending = dict(zip(_PROPOSAL_COLUMNS, row[start:], strict=True))
    # rules.pending_proposal() reads this list, as prefetched by the other pages.
    discussion.pending_proposals = (
        [Proposal(discussion=discussion, status=Proposal.Status.PENDING, **pending)] if pending["id"] else []
    )
    return discussion


def get_buyer_discussion_page(user, pk):
    """The buyer's Discussion for its page (SEC-01: another buyer's is a 404)."""
    discussion = _page_discussion(_BUYER_PAGE, _PAGE_RELATED, pk, user.pk)
    discussion.buyer = user
    return discussion


def get_seller_discussion_page(user, pk):
    """The seller account's Discussion for its page, found by the signed-in user in the
    same query (404 for users who do not sell and for other accounts' Discussions,
    SEC-01)."""
    discussion = _page_discussion(_SELLER_PAGE, _SELLER_PAGE_RELATED, pk, user.pk)
    # The header asks the user for their seller account: it is this one.
    discussion.seller_account.user = user
    return discussion


def get_buyer_discussion(user, pk):
    return get_object_or_404(_detail_queryset(), pk=pk, buyer=user)


def get_seller_discussion(user, pk):
    account = seller_account_for(user)
    return get_object_or_404(_detail_queryset(), pk=pk, seller_account=account)


def get_message_for(user, discussion, message_pk):
    return get_object_or_404(Message, pk=message_pk, discussion=discussion)


def get_attachment_for(user, pk):
    """The buyer, the seller account and staff may open an attachment; no one else."""
    attachment = get_object_or_404(Attachment.objects.select_related("message__discussion__seller_account"), pk=pk)
    discussion = attachment.message.discussion
    allowed = (
        discussion.buyer_id == user.pk
        or discussion.seller_account.user_id == user.pk
        or (user.is_staff and user.has_perm("discussions.view_discussion"))
    )
    if not allowed or (attachment.message.is_hidden and not user.is_staff):
        raise Http404
    return attachment


def get_seller_block(user, pk):
    """MED-09: a block of the signed-in user's own seller account (lifted ones too)."""
    account = seller_account_for(user)
    return get_object_or_404(
        SellerBlock.objects.select_related("seller_account__market", "complaint_decided_by").prefetch_related(
            "discussions"
        ),
        pk=pk,
        seller_account=account,
    )
