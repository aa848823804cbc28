"""Object access for Discussion pages: anything foreign is a 404 (SEC-01)."""

from django.db.models import F, FilteredRelation, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from orders.access import seller_account_for

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


PENDING_PROPOSAL_FIELDS = ("id", "solution", "amount", "percent", "requires_return", "created_at")


def _page_queryset():
    """What the Discussion page reads about the Discussion itself, in one query: the
    pending proposal (at most one, proposal_one_pending_per_discussion) comes by a LEFT
    JOIN; the messages are read by the page's presenter (presenters.conversation)."""
    pending = "pending_proposal"
    return Discussion.objects.select_related("order", "line", "market").annotate(
        **{pending: FilteredRelation("proposals", condition=Q(proposals__status=Proposal.Status.PENDING))},
        **{f"{pending}_{name}": F(f"{pending}__{name}") for name in PENDING_PROPOSAL_FIELDS},
    )


def _with_pending_proposal(discussion):
    # rules.pending_proposal() reads the prefetched list.
    values = {name: getattr(discussion, f"pending_proposal_{name}") for name in PENDING_PROPOSAL_FIELDS}
    discussion.pending_proposals = (
        [Proposal(discussion=discussion, status=Proposal.Status.PENDING, **values)] if values["id"] else []
    )
    return discussion


def get_buyer_discussion_page(user, pk):
    """The buyer's Discussion for its page (SEC-01: another buyer's is a 404)."""
    discussion = get_object_or_404(_page_queryset(), pk=pk, buyer=user)
    discussion.buyer = user
    return _with_pending_proposal(discussion)


def get_seller_discussion_page(user, pk):
    """The seller account's Discussion for its page, in the same query as the account
    (404 for users who do not sell and for other accounts' Discussions, SEC-01)."""
    discussion = get_object_or_404(
        _page_queryset().select_related("seller_account", "buyer"), pk=pk, seller_account__user=user
    )
    # The header asks the user for their seller account: it is this one.
    discussion.seller_account.user = user
    return _with_pending_proposal(discussion)


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
