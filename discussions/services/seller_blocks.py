"""Seller account blocks (MED-09) and the seller's complaint against a block (EU DSA
art. 20).

Blocks stay in the discussions app, as their own module rather than a new app: the
`SellerBlock` model and its migrations live in discussions; a mediator blocks an account
until the problems reported in its Discussions are explained, and the statement of
reasons names the Discussions concerned (`SellerBlock.discussions`); the purchase check
that refuses a blocked account's offers is registered in discussions/apps.py. The module
uses no other module of the package except the shared helpers of `transitions` (the
instant of the action, the reason a mediator's decision records)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.dates import market_time
from core.errors import ConcurrentUpdate, DomainError
from core.once import consume
from orders import audit

from ..models import SellerBlock
from .transitions import _now, _require_reason


def block_seller_account(account, *, mediator, statement, rule, discussions=(), now=None, once=None):
    """MED-09: block until the reported problems are explained; the block's offers can
    no longer be bought (ORD-03) and the seller sees the statement of reasons."""
    now = _now(now)
    statement = _require_reason(statement)
    if not (rule or "").strip():
        raise DomainError(_("Name the rule the block applies."), field="rule")
    discussions = list(discussions)
    if any(d.seller_account_id != account.pk for d in discussions):
        raise DomainError(_("Choose only Discussions of this seller account."), field="discussions")
    try:
        with transaction.atomic():
            claim = consume(once)
            block = SellerBlock.objects.create(
                seller_account=account, statement=statement, rule=rule.strip(), blocked_by=mediator, blocked_at=now
            )
            block.discussions.set(discussions)
            audit.record(
                mediator,
                "BLOCK_SELLER",
                account,
                reason=statement,
                after={"rule": block.rule, "discussions": [d.pk for d in discussions]},
                now=now,
            )
            claim.done(block)
    except IntegrityError:
        raise DomainError(_("This seller account is already blocked.")) from None
    return block


def lift_seller_block(block, *, mediator, reason, now=None, once=None):
    now = _now(now)
    reason = _require_reason(reason)
    with transaction.atomic():
        consume(once)
        if not SellerBlock.objects.filter(pk=block.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=mediator, lift_reason=reason
        ):
            raise ConcurrentUpdate(_("The block has already been lifted."))
        audit.record(mediator, "LIFT_SELLER_BLOCK", block.seller_account, reason=reason, now=now)
    block.refresh_from_db()
    return block


MAX_COMPLAINT_LENGTH = 5_000


def file_block_complaint(block, *, seller_user, text, now=None, once=None):
    """MED-09 / EU DSA art. 20: the blocked account's own user files one complaint against
    an active block, at the latest 6 calendar months after it (`SellerBlock.complaint_due_at`).
    Audited, with the seller as the actor."""
    now = _now(now)
    if block.seller_account.user_id != seller_user.pk:
        raise DomainError(_("Only the blocked seller account can file a complaint against its block."))
    if not block.is_active:
        raise DomainError(_("The block has been lifted; there is nothing to complain against."))
    if block.complaint_filed_at is not None:
        raise DomainError(_("You have already filed a complaint against this block; one complaint is possible."))
    if now > block.complaint_due_at:
        raise DomainError(
            _("The time to complain against this block ended on %(date)s.")
            % {"date": market_time(block.complaint_due_at, block.seller_account.market)}
        )
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write why the block should be lifted."), field="text")
    if len(text) > MAX_COMPLAINT_LENGTH:
        raise DomainError(
            _("A complaint can have at most %(max)s characters; yours has %(count)s.")
            % {"max": f"{MAX_COMPLAINT_LENGTH:,}".replace(",", "\u00a0"), "count": len(text)},
            field="text",
        )
    with transaction.atomic():
        consume(once)
        # One complaint per block: of two submissions, only the first matches the row.
        if not SellerBlock.objects.filter(pk=block.pk, lifted_at__isnull=True, complaint_filed_at__isnull=True).update(
            complaint_text=text, complaint_filed_at=now
        ):
            raise ConcurrentUpdate(
                _("The block changed in the meantime: a complaint was already filed or the block was lifted.")
            )
        audit.record(
            seller_user,
            "FILE_BLOCK_COMPLAINT",
            block,
            reason=text,
            after={"complaint_filed_at": now.isoformat()},
            now=now,
        )
    block.refresh_from_db()
    return block


def _block_snapshot(block):
    return {"is_active": block.is_active, "complaint_decision": block.complaint_decision}


def decide_block_complaint(block, *, mediator, decision, reason, now=None, once=None):
    """MED-09 / EU DSA art. 20: a mediator other than the one who blocked decides the open
    complaint. UPHELD lifts the block in the same transaction (its offers can be bought
    again); REJECTED keeps it. Audited (MED-07)."""
    now = _now(now)
    reason = _require_reason(reason)
    if decision not in SellerBlock.ComplaintDecision.values:
        raise DomainError(_("Choose the decision on the complaint."), field="decision")
    if mediator.pk == block.blocked_by_id:
        raise DomainError(
            _("You blocked this account, so another mediator must decide the complaint against the block.")
        )
    if not block.has_open_complaint:
        raise DomainError(_("There is no open complaint against this block."))
    before = _block_snapshot(block)
    with transaction.atomic():
        consume(once)
        if not SellerBlock.objects.filter(
            pk=block.pk, complaint_filed_at__isnull=False, complaint_decided_at__isnull=True
        ).update(
            complaint_decision=decision,
            complaint_decided_by=mediator,
            complaint_decided_at=now,
            complaint_decision_reason=reason,
        ):
            raise ConcurrentUpdate(_("Another mediator has already decided this complaint."))
        if decision == SellerBlock.ComplaintDecision.UPHELD:
            # A block lifted in the meantime keeps its own lift (who, when, why).
            SellerBlock.objects.filter(pk=block.pk, lifted_at__isnull=True).update(
                lifted_at=now, lifted_by=mediator, lift_reason=reason
            )
        block.refresh_from_db()
        audit.record(
            mediator,
            "DECIDE_BLOCK_COMPLAINT",
            block,
            reason=reason,
            before=before,
            after=_block_snapshot(block),
            now=now,
        )
    return block


def active_block(account):
    return SellerBlock.objects.filter(seller_account=account, lifted_at__isnull=True).first()


def blocked_seller_refusal(*, buyer, offer, now):
    """ORD-03 purchase check (registered in apps.py): a blocked account's offers cannot be bought."""
    if SellerBlock.objects.filter(seller_account_id=offer.seller_account_id, lifted_at__isnull=True).exists():
        return _("This seller cannot sell at the moment. Choose an offer of another seller.")
    return None
