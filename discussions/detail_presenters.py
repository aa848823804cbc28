"""The Discussion page of the buyer and the seller (templates/discussions/detail.html),
computed once per request (`discussion_page`): the state machine evaluated once with
its buttons (DSC-22), the deadlines explained (DSC-06), the conversation.

The page shows dozens of messages. Their display values are computed here once, in one
pass (STYLE 9, issue 13): times formatted with a compiled pattern, labels translated
once per request, links built from URL patterns reversed once per process, the empty
forms rendered once per process and language (discussions.presenters). The markup
repeated per message and per action button is written here too, from the *_HTML
patterns below: a template node per value cost more than the rest of the page. The
template keeps the page's layout.

Every form of the page carries `form_inputs`, made per request by the view: the CSRF
token and the one-time form token (SAFE-01, core.once). Every button of the state
machine also carries the version of the Discussion it was rendered from, and an answer
the proposal it answers (SAFE-02).
"""

from dataclasses import dataclass
from html import escape

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.dates import date_formatter
from core.once import FIELD, version_input
from core.prepared import PreparedQuery

from . import rules
from .presenters import (
    ACTION_LABELS,
    SLUG_BY_ACTION,
    Deadline,
    form_html,
    local_text,
    mediator_deadline,
    reply_deadline,
    url_format,
)
from .rules import Action


@dataclass(slots=True)
class MessageView:
    """One message of the conversation: its markup (MESSAGE_HTML) and what
    `services.can_report` reads (RPT-01)."""

    pk: int
    author_id: int | None
    author_role: str
    is_automatic: bool
    html: str = ""


# One action of the state machine (DSC-22): a button when allowed, a disabled button
# with why and from when otherwise.
ALLOWED_BUTTON_HTML = """
  <form method="post" action="{url}" class="action-form">{form_inputs}
    <button type="submit" class="button {css}">{label}</button>
    {until}
  </form>
"""
DISABLED_BUTTON_HTML = """
  <div class="action-form is-disabled">
    <button type="button" class="button button-secondary" disabled aria-describedby="why-{action}">{label}</button>
    <span class="help" id="why-{action}">{why}</span>
  </div>
"""


def _button(action, availability, market, form_inputs, url="", css="button-secondary"):
    """The markup of one action's button; `form_inputs` are its hidden inputs."""
    label = escape(str(ACTION_LABELS[action]))
    if availability.allowed:
        until = ""
        if availability.available_until is not None:
            text = _("until %(until)s") % {"until": escape(local_text(availability.available_until, market))}
            until = f'<span class="help">{text}</span>'
        return ALLOWED_BUTTON_HTML.format(url=url, form_inputs=form_inputs, css=css, label=label, until=until)
    why = escape(str(availability.reason))
    if availability.available_from is not None:
        text = _("Available from %(from)s.") % {"from": escape(local_text(availability.available_from, market))}
        why = f"{why} {text}"
    return DISABLED_BUTTON_HTML.format(action=action, label=label, why=why)


_MESSAGE_COLUMNS = (
    "pk",
    "author_id",
    "author_role",
    "kind",
    "text",
    "auto_code",
    "auto_params",
    "counts_as_seller_reply",
    "created_at",
    "hidden_at",
    "attachments__pk",
    "attachments__original_name",
    "attachments__content_type",
)


def _messages(discussion_id):
    from .models import Message

    return (
        Message.objects.filter(discussion_id=discussion_id)
        .order_by("created_at", "pk", "attachments__pk")
        .values_list(*_MESSAGE_COLUMNS)
    )


# Through message_discussion_idx; compiled once per process (core.prepared).
_MESSAGES = PreparedQuery(_messages)


def _conversation_rows(discussion):
    """The Discussion's messages in order with their attachments: one query, a row per
    attachment (a LEFT JOIN), only the columns the page shows."""
    messages = {}
    for values in _MESSAGES.rows(discussion.pk):
        row = dict(zip(_MESSAGE_COLUMNS, values, strict=True))
        message = messages.get(row["pk"])
        if message is None:
            message = messages[row["pk"]] = row
            row["attachments"] = []
        if row["attachments__pk"] is not None:
            message["attachments"].append(
                (row["attachments__pk"], row["attachments__original_name"], row["attachments__content_type"])
            )
    return messages.values()


# The markup of one message (what templates/discussions/detail.html shows in its
# "conversation" list), filled in by conversation().
MESSAGE_HTML = """<li class="msg msg-{role}{auto}" id="m{pk}">
  <div class="msg-head">
    <strong>{author}</strong>{badges}
    <time datetime="{iso}" class="muted small">{time}</time>
  </div>{body}
</li>
"""
TEXT_HTML = """
      <div class="msg-text">{text}</div>"""
PARAGRAPH_HTML = """
      <p class="msg-text">{text}</p>"""
HIDDEN_HTML = """
    <p class="msg-hidden">{text}</p>"""
BADGE_HTML = """
    <span class="{css}">{text}</span>"""
ATTACHMENT_HTML = """
          <li><a href="{url}" target="_blank" rel="noopener">{image}<span>{name}</span></a></li>"""
IMAGE_HTML = '<img src="{url}" alt="{name}" loading="lazy" width="96" height="96">'
REPORT_HTML = """
      <details class="report">
        <summary>{summary}</summary>
        <form method="post" action="{url}">{form_inputs}
          <fieldset><legend>{legend}</legend>
            {choices}
          </fieldset>
          <label for="report-comment-{pk}">{comment}</label>
          <textarea id="report-comment-{pk}" name="comment" rows="2" maxlength="1000"></textarea>
          <button type="submit" class="button button-small">{send}</button>
        </form>
      </details>"""
CHOICE_HTML = '<label class="radio"><input type="radio" name="category" value="{value}" required> {label}</label>'
_PK = "\x00pk\x00"  # where a message's pk goes in its report form (never in the form's texts)


def _report_form(report_url, form_inputs):
    """RPT-01: the report form of a message, translated once per page and split where
    the message's pk goes, so each message's form is one join."""
    from .forms import ReportForm

    choices = "".join(
        CHOICE_HTML.format(value=escape(str(value)), label=escape(str(label)))
        for value, label in ReportForm.base_fields["category"].choices
    )
    html = REPORT_HTML.format(
        summary=_("Report a violation"),
        url=report_url,
        form_inputs=form_inputs,
        legend=_("The message contains"),
        choices=choices,
        pk=_PK,
        comment=_("Comment (optional)"),
        send=_("Send the report"),
    )
    return html.split(_PK)


def _text_html(text):
    """`text|linebreaksbr`: escaped, line breaks as <br>."""
    return escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")


# UX-03: the automatic messages of a mediator's decision; their parameters carry the outcome,
# the amount and the mediator's written justification.
DECISION_CODES = frozenset({"MEDIATION_CONCLUDED", "CLOSED_ALLEGRO_PROTECT"})


def conversation(discussion, role, user, form_inputs, decisions=None):
    """The messages of the Discussion page as the reader sees them: authors, badges and
    automatic messages in the reader's language (I18N-01), times in the market's zone,
    hidden messages replaced, attachments linked, the report form where RPT-01 allows.
    `decisions`: a list that receives the parameters of each mediator's decision (UX-03).

    Texts that the template language would write with {% translate %} are written as
    translated, not escaped, as Django does; everything else is escaped here."""
    from . import services
    from .models import Message, Role
    from .texts import render_automatic

    market = discussion.market
    tz = market.tz
    format_date = date_formatter(str(formats.get_format("SHORT_DATETIME_FORMAT")))
    default_tz = timezone.get_current_timezone()
    authors = {
        Role.MEDIATOR: _("Allegro"),
        Role.SYSTEM: _("Automatic message"),
        Role.BUYER: _("Buyer"),
        Role.SELLER: _("Seller"),
    }
    allegro_badge = BADGE_HTML.format(css="badge badge-allegro", text=_("Allegro employee"))
    reply_badge = BADGE_HTML.format(css="badge", text=_("Counts as the seller's reply"))
    hidden = HIDDEN_HTML.format(text=_("This message was hidden by Allegro."))
    end_request = PARAGRAPH_HTML.format(text=_("The seller asks you to mark the Discussion as resolved."))
    report_name = "discussions:buyer_report" if role == Role.BUYER else "discussions:seller_report"
    report_form = None
    attachment_url = None

    views = []
    for row in _conversation_rows(discussion):
        author_role = row["author_role"]
        kind = row["kind"]
        view = MessageView(row["pk"], row["author_id"], author_role, kind == Message.Kind.AUTOMATIC)
        if row["hidden_at"] is not None:
            body = hidden
        else:
            if view.is_automatic:
                if decisions is not None and row["auto_code"] in DECISION_CODES:
                    decisions.append(row["auto_params"])
                parts = [
                    PARAGRAPH_HTML.format(text=escape(render_automatic(row["auto_code"], row["auto_params"], market)))
                ]
            elif kind == Message.Kind.END_REQUEST and not row["text"]:
                parts = [end_request]
            else:
                parts = [TEXT_HTML.format(text=_text_html(row["text"]))]
            if row["attachments"]:
                if attachment_url is None:
                    attachment_url = url_format("discussions:attachment")
                parts.append('\n      <ul class="attachments">')
                for pk, name, content_type in row["attachments"]:
                    url = attachment_url.format(pk)
                    name = escape(name)
                    image = IMAGE_HTML.format(url=url, name=name) if content_type.startswith("image/") else ""
                    parts.append(ATTACHMENT_HTML.format(url=url, image=image, name=name))
                parts.append("\n      </ul>")
            if services.can_report(view, user):
                if report_form is None:
                    report_url = url_format(report_name, 2).format(discussion.pk, _PK)
                    report_form = _report_form(report_url, form_inputs)
                parts.append(str(view.pk).join(report_form))
            body = "".join(parts)
        local = row["created_at"].astimezone(tz)
        view.html = SafeString(
            MESSAGE_HTML.format(
                role=author_role.lower(),
                auto=" msg-auto" if view.is_automatic else "",
                pk=view.pk,
                author=authors.get(author_role, authors[Role.SELLER]),
                badges=(allegro_badge if author_role == Role.MEDIATOR else "")
                + (reply_badge if row["counts_as_seller_reply"] else ""),
                iso=row["created_at"].astimezone(default_tz).isoformat(),
                time=f"{format_date(local)} {local.tzname()}",
                body=body,
            )
        )
        views.append(view)
    return views


# The markup of conversations (and their decisions' parameters), per process: rebuilt
# only when what the conversation shows changes (issue 13). The key holds everything the
# markup depends on: the Discussion's conversation state read with it from the database
# (access._conversation_state), the reader and their role (RPT-01's report forms), the
# language and time zone, and the market's settings. A deployment starts new processes,
# so markup of an older release is never shown. The bound only guards memory (a few tens
# of kB an entry).
_conversations = {}
CONVERSATIONS_LIMIT = 1000
_NO_STATE = object()
_INPUTS = "<\x00form inputs\x00>"  # where the page's form inputs go (no "<" of a message is left unescaped)


@receiver(setting_changed)
def _forget(**kwargs):
    # Tests change settings (URLs, languages) at their start: markup is built anew.
    _conversations.clear()


def _conversation_markup(discussion, role, user, form_inputs):
    """(the conversation's markup, the parameters of the mediator's decisions in it) for
    the Discussion page; kept when the page's query read the conversation's state."""
    state = getattr(discussion, "conversation_state", _NO_STATE)
    key = None
    if state is not _NO_STATE:
        market = discussion.market
        key = (
            discussion.pk,
            state,
            role,
            user.pk,
            get_language(),
            timezone.get_current_timezone_name(),
            tuple(getattr(market, field.attname) for field in market._meta.concrete_fields),
        )
        kept = _conversations.get(key)
        if kept is not None:
            parts, decisions = kept
            return SafeString(form_inputs.join(parts)), list(decisions)
    decisions = []
    messages = conversation(discussion, role, user, _INPUTS if key else form_inputs, decisions)
    html = "".join(message.html for message in messages)
    if key is None:
        return SafeString(html), decisions
    if len(_conversations) >= CONVERSATIONS_LIMIT:
        _conversations.clear()
    parts = html.split(_INPUTS)
    _conversations[key] = (parts, tuple(decisions))
    return SafeString(form_inputs.join(parts)), decisions


BUYER_BUTTONS = (
    # action, button style
    (Action.MARK_RESOLVED, "button-primary"),
    (Action.MARK_UNRESOLVED, "button-secondary"),
    (Action.ASK_FOR_HELP, "button-secondary"),
    (Action.REOPEN, "button-secondary"),
)
BUYER_PROPOSAL_BUTTONS = ((Action.ACCEPT_PROPOSAL, "button-primary"), (Action.DECLINE_PROPOSAL, "button-secondary"))


PROPOSAL_INPUT_HTML = '<input type="hidden" name="proposal" value="{pk}">'


def _buttons(discussion, role, allowed, state_inputs, proposal):
    """The page's buttons as markup: (the answers to a proposal, the actions, whether the
    seller's proposal form is shown instead of a disabled "Propose" button).
    `state_inputs`: the page's form inputs with the Discussion's version."""
    from .models import Role

    market = discussion.market
    pk = discussion.pk
    if role == Role.BUYER:
        url = url_format("discussions:buyer_action", 2)

        def buttons(actions, inputs):
            return SafeString(
                "".join(
                    _button(action, allowed[action], market, inputs, url.format(pk, SLUG_BY_ACTION[action]), css)
                    for action, css in actions
                )
            )

        answer_inputs = state_inputs
        if proposal is not None:
            answer_inputs += PROPOSAL_INPUT_HTML.format(pk=int(proposal.pk))
        return buttons(BUYER_PROPOSAL_BUTTONS, answer_inputs), buttons(BUYER_BUTTONS, state_inputs), False
    url = url_format("discussions:seller_request_end").format(pk)
    markup = _button(Action.REQUEST_END, allowed[Action.REQUEST_END], market, state_inputs, url)
    can_propose = allowed[Action.PROPOSE].allowed
    if not can_propose:
        markup += _button(Action.PROPOSE, allowed[Action.PROPOSE], market, state_inputs)
    return "", SafeString(markup), can_propose


@dataclass
class DiscussionPage:
    """Everything the Discussion page shows beyond the Discussion's own fields."""

    list_url: str
    order_url: str
    order_seller_url: str
    reason: str
    conversation_html: str
    can_reply: bool
    reply_refusal: str
    message_url: str
    reply_fields: str
    deadline: Deadline | None
    mediator_deadline: Deadline | None
    seller_replied_text: str
    proposal: object
    proposal_value: str
    proposal_buttons: str
    action_buttons: str
    can_propose: bool
    propose_label: str
    propose_url: str
    proposal_fields: str
    state_input: str
    facts: list
    decision: object = None


def allegro_decision(discussion, decisions):
    """UX-03: what both parties read about the decision that closed the Discussion: the
    outcome, the compensation and the mediator's justification; None unless a mediator's
    decision closed it (the latest of `decisions`, the decision messages' parameters)."""
    from core.money import money

    from .models import Discussion, MediationOutcome

    reasons = (Discussion.CloseReason.MEDIATION_CONCLUDED, Discussion.CloseReason.ALLEGRO_PROTECT)
    if discussion.is_open or discussion.close_reason not in reasons or not discussion.mediation_outcome:
        return None
    params = decisions[-1] if decisions else {}
    amount = params.get("amount")
    return DecisionView(
        outcome=str(MediationOutcome(discussion.mediation_outcome).label),
        amount=money(amount, discussion.market.currency) if amount else "",
        why=params.get("why", ""),
        at=local_text(discussion.closed_at, discussion.market) if discussion.closed_at else "",
        favourable=discussion.mediation_outcome != MediationOutcome.CLAIM_NOT_UPHELD,
    )


@dataclass
class DecisionView:
    outcome: str
    amount: str
    why: str
    at: str
    favourable: bool


def discussion_page(discussion, role, user, now, form_inputs, *, message_form=None, proposal_form=None):
    """The Discussion page of `role` (buyer or seller) for `user` at `now`: the state
    machine evaluated once (DSC-22), the deadlines explained (DSC-06), the conversation.
    `form_inputs`: the hidden inputs of every form (the CSRF and form tokens)."""
    from core.money import money

    from .forms import MessageForm, ProposalForm
    from .models import Role

    market = discussion.market
    pk = discussion.pk
    is_buyer = role == Role.BUYER
    allowed = rules.allowed_actions(discussion, role, now)
    proposal = rules.pending_proposal(discussion)
    proposal_value = ""
    if proposal is not None:
        if proposal.amount:
            proposal_value = money(proposal.amount, market.currency)
        elif proposal.percent:
            proposal_value = f"{proposal.percent}%"

    state_input = version_input(discussion.version)
    proposal_buttons, action_buttons, can_propose = _buttons(
        discussion, role, allowed, form_inputs + state_input, proposal
    )

    facts = [(mark_safe(_("Started")), local_text(discussion.created_at, market))]
    if discussion.reopen_count or discussion.opened_at != discussion.created_at:
        facts.append((mark_safe(_("Reopened")), local_text(discussion.opened_at, market)))
    if discussion.expected_solution:
        expected = discussion.get_expected_solution_display()
        if discussion.expected_amount:
            expected = f"{expected} ({money(discussion.expected_amount, market.currency)})"
        elif discussion.expected_percent:
            expected = f"{expected} ({discussion.expected_percent}%)"
        facts.append((mark_safe(_("Expected solution")), expected))
    if discussion.auto_resolve_at and discussion.is_open:
        facts.append((mark_safe(_("Closes as resolved if not marked")), local_text(discussion.auto_resolve_at, market)))
    if discussion.delivery_close_at:
        facts.append((mark_safe(_("Closes after delivery")), local_text(discussion.delivery_close_at, market)))
    if discussion.close_reason:
        facts.append((mark_safe(_("Closed because")), discussion.get_close_reason_display()))

    reply = allowed[Action.REPLY]
    conversation_html, decisions = _conversation_markup(discussion, role, user, form_inputs)
    return DiscussionPage(
        list_url=url_format("discussions:buyer_list" if is_buyer else "discussions:seller_list", 0),
        order_url=url_format("orders:purchase_detail" if is_buyer else "orders:seller_order_detail").format(
            discussion.order_id
        ),
        order_seller_url=url_format("orders:seller_order_detail").format(discussion.order_id),
        reason=discussion.get_reason_display(),
        conversation_html=conversation_html,
        can_reply=reply.allowed,
        reply_refusal=str(reply.reason),
        message_url=url_format("discussions:buyer_message" if is_buyer else "discussions:seller_message").format(pk),
        reply_fields=form_html("discussions/includes/reply_fields.html", MessageForm, message_form)
        if reply.allowed
        else "",
        deadline=reply_deadline(discussion, now),
        mediator_deadline=mediator_deadline(discussion, now),
        seller_replied_text=local_text(discussion.seller_replied_at, market),
        proposal=proposal,
        proposal_value=proposal_value,
        proposal_buttons=proposal_buttons,
        action_buttons=action_buttons,
        can_propose=can_propose,
        propose_label=str(ACTION_LABELS[Action.PROPOSE]),
        propose_url=url_format("discussions:seller_propose").format(pk) if can_propose else "",
        proposal_fields=form_html("discussions/includes/proposal_fields.html", ProposalForm, proposal_form)
        if can_propose
        else "",
        state_input=state_input,
        facts=facts,
        decision=allegro_decision(discussion, decisions),
    )


@dataclass
class ActionConfirmation:
    """SAFE-03: the page that asks the buyer to confirm an irreversible action
    (templates/discussions/confirm_action.html): what will happen, in the buyer's language
    and the market's money format, and the form that does it, carrying what the button
    carried (the form token, the version, the proposal)."""

    title: str
    says: list
    button: str
    url: str
    inputs: str
    back_url: str


def _confirmation_texts(discussion, action, proposal):
    from .services.transitions import proposal_text

    number = discussion.number
    if action == Action.MARK_RESOLVED:
        again = (
            _("If the problem comes back, you can reopen it once, up to 2 years after the purchase.")
            if not discussion.reopen_count
            else _("It was already reopened once, so it cannot be reopened again.")
        )
        return [_("Discussion %(number)s will be closed as resolved.") % {"number": number}, again]
    if action == Action.MARK_UNRESOLVED:
        return [
            _(
                "Discussion %(number)s will be marked as unresolved and an Allegro employee takes over to help "
                "you and the seller agree."
            )
            % {"number": number},
            _("After that you can no longer mark it as resolved."),
        ]
    if action == Action.REOPEN:
        return [
            _("Discussion %(number)s will be open again.") % {"number": number},
            _("A closed Discussion can be reopened only once: after this it cannot be reopened again."),
        ]
    solution = str(proposal.get_solution_display())
    if proposal.amount is not None or proposal.percent is not None:
        accepted = _("You accept the seller's proposal: %(solution)s, %(value)s.") % {
            "solution": solution,
            "value": proposal_text(proposal, discussion),
        }
    else:
        accepted = _("You accept the seller's proposal: %(solution)s.") % {"solution": solution}
    send_back = (
        _("You must send the product back to the seller first.")
        if proposal.requires_return
        else _("You do not need to send the product back.")
    )
    return [
        accepted,
        send_back,
        _("Discussion %(number)s will be closed as resolved, and the seller carries out the solution.")
        % {"number": number},
    ]


def action_confirmation(discussion, action, now, *, once, seen_version, seen_proposal=None):
    """The confirmation page of the buyer's `action`, rendered from the state machine
    (DSC-22) like its button; None when the button is stale (the action is no longer
    allowed, or the Discussion or its proposal changed since the page was shown): the
    service then says what changed."""
    from .models import Role

    if not rules.availability(discussion, Role.BUYER, action, now).allowed:
        return None
    if seen_version is not None and seen_version != discussion.version:
        return None
    proposal = None
    inputs = f'<input type="hidden" name="{FIELD}" value="{escape(once.token)}">'
    inputs += version_input(discussion.version) + '<input type="hidden" name="confirm" value="1">'
    if action == Action.ACCEPT_PROPOSAL:
        proposal = rules.pending_proposal(discussion)
        if proposal is None or (seen_proposal is not None and seen_proposal != proposal.pk):
            return None
        inputs += PROPOSAL_INPUT_HTML.format(pk=int(proposal.pk))
    label = str(ACTION_LABELS[action])
    return ActionConfirmation(
        title=_("Confirm: %(action)s") % {"action": label},
        says=_confirmation_texts(discussion, action, proposal),
        button=label,
        url=url_format("discussions:buyer_action", 2).format(discussion.pk, SLUG_BY_ACTION[action]),
        inputs=SafeString(inputs),
        back_url=discussion.get_absolute_url(),
    )
