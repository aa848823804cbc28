"""Object access for Discussion pages: anything foreign is a 404 (SEC-01)."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import CharField, Count, FilteredRelation, Max, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.prepared import PreparedQuery, RowReader
from orders.access import seller_account_for
from orders.models import Market, SellerAccount

from .models import Attachment, Discussion, Message, Proposal, SellerBlock


def _detail_queryset():
    """A Discussion for the services that its pages' forms call (a refused form shows the
    page again, which reads the messages itself: detail_presenters.conversation)."""
    return Discussion.objects.select_related(
        "order__market", "order__shipment", "line", "market", "buyer", "seller_account__user", "mediator"
    ).prefetch_related(
        Prefetch(
            "proposals",
            queryset=Proposal.objects.filter(status=Proposal.Status.PENDING),
            to_attr="pending_proposals",
        ),
    )


# --- The Discussion page ------------------------------------------------------------
# The page reads the Discussion with its market, its pending proposal (at most one:
# proposal_one_pending_per_discussion) and the few columns it shows of its order, product
# line and buyer in one query compiled once per process (core.prepared). The related rows
# come as scalar subqueries by primary key rather than joins, which PostgreSQL plans in a
# quarter of the time. The row becomes model instances as select_related() would make
# them; a related row carries only the columns the page uses (any other loads on access).

_PAGE_COLUMNS = {
    # relation: its columns that the page shows or the rules read, besides its key
    "order": ("created_at",),
    "line": ("title",),
}
_SELLER_PAGE_COLUMNS = {**_PAGE_COLUMNS, "buyer": ("username",)}
_MARKET_COLUMNS = tuple(field.attname for field in Market._meta.concrete_fields if not field.primary_key)
_DISCUSSION_COLUMNS = tuple(field.attname for field in Discussion._meta.concrete_fields)
_PENDING = "pending_proposal"
_PROPOSAL_COLUMNS = ("id", "solution", "amount", "percent", "requires_return", "created_at")
_CONVERSATION = "page_conversation"


def _conversation_state():
    """What the Discussion's conversation looks like, as text: its number of messages, the
    newest message's id and the number hidden by Allegro. Messages are never edited and
    never unhidden, and a message's attachments are saved in its transaction, so any
    change of what the conversation shows changes this (detail_presenters keeps the
    conversation's markup under it)."""
    text = CharField()
    messages = Message.objects.filter(discussion_id=OuterRef("pk")).order_by().values("discussion_id")
    state = Concat(
        Cast(Count("pk"), text),
        Value(":"),
        Cast(Max("pk"), text),
        Value(":"),
        Cast(Count("hidden_at"), text),
        output_field=text,
    )
    return Subquery(messages.annotate(state=state).values("state"))


def _page_query(related, *, seller):
    def build(pk, user_id):
        # The reader's seller account, if any: the page's header asks for it.
        account = Subquery(SellerAccount.objects.filter(user_id=user_id).order_by().values("pk"))
        if seller:
            discussions = Discussion.objects.filter(pk=pk, seller_account_id=account)
        else:
            discussions = Discussion.objects.filter(pk=pk, buyer_id=user_id).annotate(page_reader_account=account)
        columns = {
            f"page_{name}_{column}": Subquery(
                Discussion._meta.get_field(name)
                .related_model.objects.filter(pk=OuterRef(f"{name}_id"))
                .order_by()
                .values(column)
            )
            for name, names in related.items()
            for column in names
        }
        return (
            discussions.annotate(
                **{_PENDING: FilteredRelation("proposals", condition=Q(proposals__status=Proposal.Status.PENDING))},
                **columns,
                **{_CONVERSATION: _conversation_state()},
            )
            .order_by()
            .values_list(
                *_DISCUSSION_COLUMNS,
                *(f"market__{column}" for column in _MARKET_COLUMNS),
                *columns,
                *(f"{_PENDING}__{column}" for column in _PROPOSAL_COLUMNS),
                _CONVERSATION,
                *([] if seller else ["page_reader_account"]),
            )
        )

    return PreparedQuery(build)


_BUYER_PAGE = _page_query(_PAGE_COLUMNS, seller=False)
_SELLER_PAGE = _page_query(_SELLER_PAGE_COLUMNS, seller=True)


def _page_discussion(query, related, pk, user_id):
    rows = query.rows(pk, user_id)
    if not rows:
        raise Http404
    row = RowReader(rows[0])
    discussion = row.instance(Discussion, _DISCUSSION_COLUMNS)
    market = row.instance(Market, ("code", *_MARKET_COLUMNS), known=[discussion.market_id])
    Discussion.market.field.set_cached_value(discussion, market)
    for name, columns in related.items():
        field = Discussion._meta.get_field(name)
        instance = row.instance(field.related_model, ("id", *columns), known=[getattr(discussion, field.attname)])
        field.set_cached_value(discussion, instance)
    pending = dict(zip(_PROPOSAL_COLUMNS, row.take(len(_PROPOSAL_COLUMNS)), strict=True))
    # rules.pending_proposal() reads this list, as prefetched by the other pages.
    discussion.pending_proposals = (
        [Proposal(discussion=discussion, status=Proposal.Status.PENDING, **pending)] if pending["id"] else []
    )
    # detail_presenters.conversation() keeps the markup of the conversation under it.
    (discussion.conversation_state,) = row.take(1)
    return discussion, row.rest()


def get_buyer_discussion_page(user, pk):
    """The buyer's Discussion for its page (SEC-01: another buyer's is a 404)."""
    discussion, (account_id,) = _page_discussion(_BUYER_PAGE, _PAGE_COLUMNS, pk, user.pk)
    discussion.buyer = user
    # The header asks whether the user also sells: answered by the same query.
    if account_id is None:
        SellerAccount.user.field.remote_field.set_cached_value(user, None)
    else:
        SellerAccount.from_db(DEFAULT_DB_ALIAS, ("id", "user_id"), [account_id, user.pk]).user = user
    return discussion


def get_seller_discussion_page(user, pk):
    """The seller account's Discussion for its page, found by the signed-in user in the
    same query (404 for users who do not sell and for other accounts' Discussions,
    SEC-01)."""
    discussion, _ = _page_discussion(_SELLER_PAGE, _SELLER_PAGE_COLUMNS, pk, user.pk)
    account = SellerAccount.from_db(DEFAULT_DB_ALIAS, ("id", "user_id"), [discussion.seller_account_id, user.pk])
    Discussion.seller_account.field.set_cached_value(discussion, account)
    # The header asks the user for their seller account: it is this one.
    account.user = user
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
