"""JOB-02 / DSC-20(b) through the seller API: a message posted with
POST /sale/issues/{issueId}/message while the delivery auto-close sweep closes the
Discussion is either stored (201) or refused with 409 — never answered 201 and lost.

Real threads and transactions on PostgreSQL (tests/races.py); SQLite serialises writers.
"""

import threading
from collections import Counter
from datetime import timedelta

from django.http import HttpResponse

from discussions import services, tasks
from discussions.models import Discussion, Message, Role
from tests.api.conftest import ApiClient
from tests.api.contract import body
from tests.discussions.conftest import CLOSES_AT, delivered_discussion, fresh
from tests.factories import OfferFactory
from tests.races import POSTGRES_RACES, race

pytestmark = POSTGRES_RACES

ROUNDS = 20


class Gates:
    """Points of the API's message posting that make the rounds cover every interleaving
    without sleeps: in "message first" rounds the sweep starts once services.post_message
    has written the message (its transaction still open); in "sweep first" rounds
    post_message starts — with the open Discussion the request loaded — once the sweep has
    committed; "free" rounds just race."""

    def __init__(self, monkeypatch):
        self.mode = "free"
        self.posted = threading.Event()
        self.swept = threading.Event()
        original = services.post_message

        def post_message(*args, **kwargs):
            if self.mode == "sweep first":
                assert self.swept.wait(timeout=10), "the sweep never finished"
            try:
                return original(*args, **kwargs)
            finally:
                self.posted.set()

        monkeypatch.setattr(services, "post_message", post_message)

    def start(self, mode):
        self.mode = mode
        self.posted.clear()
        self.swept.clear()

    def sweep(self):
        if self.mode == "message first":
            assert self.posted.wait(timeout=10), "the API request never posted"
        try:
            return tasks.close_after_delivery(now=CLOSES_AT)
        finally:
            self.swept.set()


MODES = ("free", "message first", "sweep first")


def test_job_02_dsc_20_an_api_message_racing_the_delivery_close_is_stored_or_refused_with_409(
    seller_account, seller, buyer, token, time_machine, monkeypatch
):
    offer = OfferFactory(seller_account=seller_account, stock=ROUNDS + 5)
    gates = Gates(monkeypatch)
    # The API's clock runs from a minute before the close instant, the sweep's is the
    # instant: a message that lands first is in time (DSC-23: at or after the instant
    # the close was due, and the message would meet it).
    time_machine.move_to(CLOSES_AT - timedelta(minutes=1), tick=True)
    seen = Counter()
    for round_number in range(ROUNDS):
        discussion = delivered_discussion(offer, buyer, seller)
        text = f"The parcel is in your parcel locker ({round_number})."
        client = ApiClient(token)
        mode = MODES[round_number % len(MODES)]
        gates.start(mode)

        response, swept = race(
            lambda c=client, d=discussion, t=text: c.post(
                f"/sale/issues/{d.public_id}/message", {"type": "REGULAR", "text": t}
            ),
            gates.sweep,
        )

        assert isinstance(response, HttpResponse), repr(response)
        assert isinstance(swept, int), repr(swept)
        after = fresh(discussion)
        stored = Message.objects.filter(discussion=discussion, author_role=Role.SELLER, text=text)
        if response.status_code == 201:
            # Stored: the message committed before the sweep took the row, or the sweep
            # found the row locked and skipped it. A seller message does not object to
            # the delivery, so the sweep may still close the Discussion afterwards.
            assert [str(m.public_id) for m in stored] == [body(response)["id"]]
            seen["stored"] += 1
        else:
            assert response.status_code == 409, response.content
            assert body(response)["errors"][0]["code"] == "DISCUSSION_CLOSED"
            assert not stored.exists()
            assert swept == 1
            seen["refused"] += 1
        if swept:
            assert not after.is_open
            assert after.close_reason == Discussion.CloseReason.DELIVERED_NO_OBJECTION
        else:
            assert after.is_open
            # The sweep skipped the row the request held locked: the next sweep closes it
            # (a seller's message does not object to the delivery). Done here, so that
            # each round's sweep sees only its own Discussion.
            assert tasks.close_after_delivery(now=CLOSES_AT) == 1
            assert not fresh(discussion).is_open
        if mode == "message first":
            assert response.status_code == 201
        elif mode == "sweep first":
            assert response.status_code == 409
    assert sum(seen.values()) == ROUNDS, seen
