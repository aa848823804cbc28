"""Discussion workflows: the only writer of a Discussion's status (SPEC §3).

Every transition has one shape (STYLE §4): check the state machine (`rules.require`),
write with a compare-and-set on the expected state, record a StatusChange, post the
automatic message and the notifications in the same transaction.

One module per concern; callers use the names re-exported here
(`from discussions import services; services.post_message(...)`):

- `transitions`: the shared compare-and-set transition, automatic messages, notifications
  to both parties, the audited reason of a mediator's decision;
- `conversation`: opening, messages, the buyer's decisions and reopening (DSC-01…19);
- `proposals`: the seller's end request and proposals, the buyer's answer (DSC-12/13);
- `order_events`: order events in the order's Discussions (DSC-07, DSC-20);
- `reports`: reports of violations and their decision (RPT-01…03);
- `mediation`: join, Allegro Protect, conclude, reopen, open on the buyer's behalf (MED-02…06);
- `seller_blocks`: seller account blocks and the complaints against them (MED-09).
"""

from .assignment import assign_case, mediators
from .conversation import (
    CLOSED_ERROR,
    MAX_ATTACHMENTS,
    MAX_MESSAGE_LENGTH,
    ask_for_help,
    mark_resolved,
    mark_unresolved,
    open_discussion,
    post_message,
    reopen_discussion,
    validate_expected_solution,
)
from .mediation import (
    conclude_mediation,
    grant_allegro_protect,
    join_discussion,
    open_on_buyers_behalf,
    reopen_at_buyers_request,
)
from .order_events import EVENT_CODES, handle_order_event
from .proposals import accept_proposal, decline_proposal, propose_solution, request_end
from .reports import ReportDecision, Sanction, can_report, decide_report, report_message
from .seller_blocks import (
    MAX_COMPLAINT_LENGTH,
    active_block,
    block_seller_account,
    blocked_seller_refusal,
    decide_block_complaint,
    file_block_complaint,
    lift_seller_block,
)

__all__ = [
    "assign_case",
    "mediators",
    "CLOSED_ERROR",
    "EVENT_CODES",
    "MAX_ATTACHMENTS",
    "MAX_COMPLAINT_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "ReportDecision",
    "Sanction",
    "accept_proposal",
    "active_block",
    "ask_for_help",
    "block_seller_account",
    "blocked_seller_refusal",
    "can_report",
    "conclude_mediation",
    "decide_block_complaint",
    "decide_report",
    "decline_proposal",
    "file_block_complaint",
    "grant_allegro_protect",
    "handle_order_event",
    "join_discussion",
    "lift_seller_block",
    "mark_resolved",
    "mark_unresolved",
    "open_discussion",
    "open_on_buyers_behalf",
    "post_message",
    "propose_solution",
    "reopen_at_buyers_request",
    "reopen_discussion",
    "report_message",
    "request_end",
    "validate_expected_solution",
]
