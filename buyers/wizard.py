"""State of the add wizard between its steps (BLK-04…06), kept in the session.

Nothing here is an entry: the entry is written only by `services.add_entry` on
confirmation. Each wizard has its own token (two browser tabs do not clash); the
token is also the confirmation token, so a double submit gives one entry.

Pictures are staged privately in the file storage under wizard/<token>/ with generated
names (never a public URL; the local disk or the object store shared by every node,
OPS-01): the pages show them as small inline thumbnails, going Back keeps them, and they
are re-opened as uploads for `add_entry` and deleted afterwards.
"""

import base64
import contextlib
import io
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from PIL import Image

from core.storage import remove_if_empty

from .models import BlockReason

SESSION_KEY = "inactive_buyer_wizards"
MAX_WIZARDS = 5  # per session; the oldest is discarded with its files
MAX_AGE = timedelta(days=1)
THUMBNAIL_SIZE = (256, 192)
SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

BUYER, EVIDENCE, SUMMARY = "buyer", "evidence", "summary"
STEPS = (BUYER, EVIDENCE, SUMMARY)


def parse_token(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


class Wizard:
    """One wizard's state: a plain dict in the session under its token."""

    def __init__(self, session, token, data):
        self.session = session
        self.token = token
        self.data = data

    # --- finding and starting ---------------------------------------------------------

    @classmethod
    def load(cls, session, account, token):
        token = parse_token(token)
        if token is None:
            return None
        data = session.get(SESSION_KEY, {}).get(str(token))
        if data is None or data.get("account") != account.pk:
            return None
        return cls(session, token, data)

    @classmethod
    def start(cls, session, account, token):
        wizards = session.get(SESSION_KEY, {})
        now = timezone.now()
        keep = {}
        for key, data in sorted(wizards.items(), key=lambda item: item[1].get("started_at", ""), reverse=True):
            started = parse_datetime(data.get("started_at", "")) if data.get("started_at") else None
            if len(keep) < MAX_WIZARDS - 1 and started is not None and now - started < MAX_AGE:
                keep[key] = data
            else:
                _delete_files(data.get("files", []), key)
        data = {
            "account": account.pk,
            "started_at": now.isoformat(),
            "login": "",
            "reason": "",
            "note": "",
            "linked_entry": None,
            "order_ids": [],
            "files": [],
            "done": [],
        }
        keep[str(token)] = data
        session[SESSION_KEY] = keep
        return cls(session, token, data)

    def save(self):
        wizards = self.session.get(SESSION_KEY, {})
        wizards[str(self.token)] = self.data
        self.session[SESSION_KEY] = wizards
        self.session.modified = True

    def discard(self):
        """The wizard ended (confirmed): forget its state and delete its staged files."""
        wizards = self.session.get(SESSION_KEY, {})
        wizards.pop(str(self.token), None)
        self.session[SESSION_KEY] = wizards
        _delete_files(self.data.get("files", []), str(self.token))

    # --- what was entered ---------------------------------------------------------------

    @property
    def login(self):
        return self.data["login"]

    @property
    def reason(self):
        return self.data["reason"]

    @property
    def reason_label(self):
        return BlockReason(self.reason).label if self.reason in BlockReason.values else ""

    @property
    def note(self):
        return self.data["note"]

    @property
    def is_linked_copy(self):
        return self.data["linked_entry"] is not None

    @property
    def needs_images(self):
        return self.reason == BlockReason.THREATS

    @property
    def order_ids(self):
        return self.data["order_ids"]

    @property
    def files(self):
        return self.data["files"]

    def set_buyer(self, *, login, reason, note, linked_entry):
        if login.casefold() != self.login.casefold():
            # Orders chosen for another buyer are no evidence for this one.
            self.data["order_ids"] = []
        self.data.update(login=login, reason=reason, note=note, linked_entry=linked_entry)
        self._mark_done(BUYER)

    def set_orders(self, orders):
        self.data["order_ids"] = [order.pk for order in orders]
        self._mark_done(EVIDENCE)

    def set_images(self, checked_files):
        """Stage the checked pictures, replacing the ones staged before."""
        old = self.data["files"]
        staged = [_stage(self.token, checked) for checked in checked_files]
        self.data["files"] = staged
        _delete_files(old, str(self.token))
        self._mark_done(EVIDENCE)

    def keep_images(self):
        self._mark_done(EVIDENCE)

    def _mark_done(self, step):
        done = [s for s in self.data["done"] if s != step]
        self.data["done"] = [*done, step]

    def is_done(self, step):
        return step in self.data["done"]

    def furthest_step(self):
        """The last step the seller may open: steps are done in order."""
        if not self.is_done(BUYER):
            return BUYER
        if self.is_linked_copy:
            return SUMMARY
        if not self.is_done(EVIDENCE) or not self.has_evidence():
            return EVIDENCE
        return SUMMARY

    def has_evidence(self):
        return bool(self.files) if self.needs_images else bool(self.order_ids)

    # --- staged pictures ----------------------------------------------------------------

    def thumbnails(self):
        """[(original name, data: URI)] of the staged pictures, for the pages only."""
        items = []
        for item in self.files:
            try:
                with default_storage.open(item["thumbnail"], "rb") as handle:
                    encoded = base64.b64encode(handle.read()).decode("ascii")
            except OSError:
                continue
            items.append((item["name"], f"data:image/jpeg;base64,{encoded}"))
        return items

    def uploads(self):
        """The staged pictures re-opened as uploads (checked again by add_entry).
        Raises OSError when a file is gone (e.g. the other click of a double submit)."""
        uploads = []
        for item in self.files:
            with default_storage.open(item["file"], "rb") as handle:
                uploads.append(SimpleUploadedFile(item["name"], handle.read(), content_type=item["content_type"]))
        return uploads


def _folder(token):
    return f"wizard/{token}"


def _stage(token, checked):
    folder = _folder(token)
    stem = uuid.uuid4().hex
    checked.content.seek(0)
    name = default_storage.save(f"{folder}/{stem}{SUFFIXES.get(checked.content_type, '')}", checked.content)
    checked.content.seek(0)
    thumbnail = default_storage.save(f"{folder}/{stem}-thumbnail.jpg", ContentFile(_thumbnail(checked.content)))
    checked.content.seek(0)
    return {
        "file": name,
        "thumbnail": thumbnail,
        "name": checked.name[:200],
        "content_type": checked.content_type,
        "size": checked.size,
    }


def _thumbnail(content):
    with Image.open(io.BytesIO(content.read())) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def _delete_files(files, token):
    for item in files:
        for key in ("file", "thumbnail"):
            with contextlib.suppress(OSError, KeyError):
                default_storage.delete(item[key])
    remove_if_empty(_folder(token))
