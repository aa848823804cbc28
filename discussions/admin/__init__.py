"""Discussions in the mediators' desk. Everything is read-only; mediators act only
through actions and buttons that call the same services as the pages.

One module per concern; Django's admin autodiscovery imports this package, and importing
the modules below registers their ModelAdmins:

- `discussion`: the Discussion list and the case view (MED-02);
- `mediators_queue`: the mediators' queue page (MED-01), a view of the Discussion admin;
- `mediation`: the mediator's buttons on a case — join, post as Allegro, open on the
  buyer's behalf, Allegro Protect, conclude, reopen (MED-02…06);
- `reports`: reports of violations and their decision (RPT-02/03);
- `notifications`: notifications, read-only;
- `seller_blocks`: seller account blocks and complaints, flagged seller accounts
  (MED-08/09).
"""

from .discussion import DiscussionAdmin, ProposalInline, QueueFilter, waiting_since_text
from .mediation import (
    ConcludeForm,
    MediationViewsMixin,
    MediatorMessageForm,
    OpenOnBehalfForm,
    ProtectForm,
    ReopenForm,
)
from .mediators_queue import QUEUE_PAGE_SIZE, QueueFilterForm, QueueViewMixin, queue_table_rows, waited_texts
from .notifications import NotificationAdmin
from .reports import ReportAdmin, ReportDecisionForm
from .seller_blocks import (
    BlockForm,
    ComplaintDecisionForm,
    FlaggedSellerAccountAdmin,
    LiftForm,
    OpenComplaintFilter,
    SellerBlockAdmin,
    SellerFlagFilter,
)

__all__ = [
    "QUEUE_PAGE_SIZE",
    "BlockForm",
    "ComplaintDecisionForm",
    "ConcludeForm",
    "DiscussionAdmin",
    "FlaggedSellerAccountAdmin",
    "LiftForm",
    "MediationViewsMixin",
    "MediatorMessageForm",
    "NotificationAdmin",
    "OpenComplaintFilter",
    "OpenOnBehalfForm",
    "ProposalInline",
    "ProtectForm",
    "QueueFilter",
    "QueueFilterForm",
    "QueueViewMixin",
    "ReopenForm",
    "ReportAdmin",
    "ReportDecisionForm",
    "SellerBlockAdmin",
    "SellerFlagFilter",
    "queue_table_rows",
    "waited_texts",
    "waiting_since_text",
]
