"""Checking uploaded files by their content, never their name (DSC-11, BLK-05, SEC-02, SAFE-08, API-02).

Size is checked before anything is read. Pictures (JPEG, PNG, WebP) are checked with
Pillow: the header first, so that a picture is refused before it is decoded when it has
more than MAX_PIXELS or would take the request past its decoding budget; then
`verify()`, a full decode and a re-encode that keeps the pixels (turned upright by their
EXIF orientation) and their transparency, and no metadata: no EXIF, XMP, ICC profile,
comment or text chunk, nor anything hidden after the picture. PDFs are parsed with pypdf
and refused when they do not parse, need a password, or carry JavaScript, actions run on
opening or that launch programs, submit forms or open other files, or embedded files;
a PDF that passes is stored as it was sent. GIF, BMP and TIFF pictures, which the
seller API takes (API-02, `convert=True`), are checked the same way and stored as PNG:
their first frame. The stored name is the uploader's with the extension of the stored
type (`file_name_for`), and downloads use the same rule.

The decoding budget: what checking one pixel costs (verify, decode, re-encode) was
measured per format with `bench/uploads.py`; one request — one `check_uploads` call, or
one `check_upload` — may spend REQUEST_BUDGET_NS on its files, so that it cannot hold a
worker for more than about a second even with the thumbnails some pages make afterwards.
"""

import contextlib
import io
import mimetypes
import re
import time
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from .errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# API-02: pictures the seller API also takes (the marketplace's API lists them); checked
# the same way, and converted to PNG: their first frame (an animated GIF's, a multi-page
# TIFF's), with its transparency and nothing else.
CONVERTED_TYPES = {"GIF": "image/gif", "BMP": "image/bmp", "TIFF": "image/tiff"}
PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}  # what Pillow writes as PNG
PDF = "application/pdf"
# The detected type's extensions; the first is given to a name that has none of them.
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    PDF: (".pdf",),
}
MAX_NAME = 200  # the models' original_name

# --- Bounded decoding (SAFE-08) ---------------------------------------------------------------

# 25 megapixels: every camera's and phone's default picture (12–24 MP, 6000×4000 at most),
# and at most 100 MB once decoded (RGBA). Bigger pictures are not needed as evidence.
MAX_PIXELS = 25_000_000
# What checking a picture (verify, decode, re-encode) costs, in nanoseconds of one CPU:
# per pixel (the work every pixel needs) plus per byte of the file (the entropy coding,
# which dominates for noise-like content). Fitted with bench/uploads.py on the development
# machine so that the estimate covers flat pictures, photos, screenshots and noise in
# every mode (RGB, RGBA, grey, palette, CMYK, 16-bit; lossy and lossless WebP), then
# rounded up. A progressive JPEG is decoded in several passes.
DECODING_COST_NS = {
    "JPEG": (6, 8),
    "JPEG progressive": (12, 30),
    "PNG": (25, 45),
    "WEBP": (30, 100),
    # Converted to PNG (API-02): decoding plus the PNG encoding, which dominates for
    # noise-like content; measured with bench/uploads.py (TIFF: uncompressed, LZW, deflate,
    # JPEG and PackBits) and rounded up by about a third.
    "GIF": (20, 60),
    "BMP": (25, 55),
    "TIFF": (75, 65),
}
# What reading one object of a PDF costs pypdf (pure Python), measured the same way for
# objects of a few entries: the estimate that refuses a PDF of too many objects before it
# is read. A PDF of few but big objects is stopped by the request's deadline instead
# (`_check_pdf`), and pypdf is told to refuse arrays and dictionaries bigger than any
# real document has (PDF_LIMITS; its own defaults, 100,000, take 0.2–0.8 s to parse).
PDF_OBJECT_COST_NS = 50_000
MAX_PDF_OBJECTS = 10_000
PDF_LIMITS = {"array_maximum_element_count": 50_000, "dictionary_maximum_element_count": 20_000}
# A cross-reference table line ("0000012345 00000 n"): counted in C before pypdf reads the
# table in Python (450,000 lines took it a second of CPU). Incremental updates list an
# object again, hence the factor 2.
XREF_LINE = re.compile(rb"\d{10} \d{5} [fn]")
MAX_XREF_ENTRIES = 2 * MAX_PDF_OBJECTS
# 0.7 s of checking per request: a page may decode the pictures once more for thumbnails
# (the inactive-buyers wizard), which stays within about a second.
REQUEST_BUDGET_NS = 700_000_000

# Re-encoding: Pillow's defaults for quality; the fastest compression effort, which costs
# a few per cent of size (PNG level 6 takes 2–5x longer on photos, WebP method 4 about 3x).
SAVE_OPTIONS = {"JPEG": {}, "PNG": {"compress_level": 1}, "WEBP": {"method": 0}}


@dataclass
class CheckedFile:
    content: ContentFile
    name: str
    content_type: str
    size: int
    # The type the upload was, when it was converted (API-02: a GIF, BMP or TIFF stored as PNG).
    source_type: str = ""

    @property
    def uploaded_type(self):
        return self.source_type or self.content_type


class DecodingBudget:
    """What one request may still spend on checking its files, in nanoseconds."""

    def __init__(self, ns=REQUEST_BUDGET_NS):
        self.total = self.left = ns

    def spend(self, ns, upload, *, alone_error):
        """Take `ns` for checking `upload`; `alone_error` when even a request with no
        other file could not afford it."""
        if ns > self.total:
            raise alone_error
        if ns > self.left:
            raise DomainError(
                _(
                    "The files you chose are too large to check together (from “%(name)s” on). "
                    "Send fewer or smaller files at a time."
                )
                % {"name": upload.name},
                field="files",
            )
        self.left -= ns


def file_name_for(name, content_type):
    """The uploader's file name with the extension of the detected type: `skan.hta` that
    is a PDF is `skan.pdf`, `IMG_1.JPEG` stays; folders are dropped, and the name is cut
    to MAX_NAME characters keeping the extension. A type this module does not produce
    gets the extension the standard library knows for it."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    suffixes = EXTENSIONS.get(content_type) or (mimetypes.guess_extension(content_type or "") or "",)
    suffix = f".{extension}" if f".{extension}".lower() in suffixes else suffixes[0]
    return (stem or "file")[: MAX_NAME - len(suffix)] + suffix


def _error(message, upload):
    return DomainError(message % {"name": upload.name}, field="files")


def _too_big(upload, max_bytes):
    return DomainError(
        _("“%(name)s” is larger than %(limit)s.") % {"name": upload.name, "limit": filesizeformat(max_bytes)},
        field="files",
    )


def _read(upload, max_bytes):
    if upload.size is not None and upload.size > max_bytes:
        raise _too_big(upload, max_bytes)
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(upload, max_bytes)
    return data


# --- Pictures ---------------------------------------------------------------------------------


def decoding_cost(image, size):
    """Nanoseconds that checking this opened (not yet decoded) picture of `size` bytes
    will take (DECODING_COST_NS)."""
    kind = image.format
    if kind == "JPEG" and (image.info.get("progressive") or image.info.get("progression")):
        kind = "JPEG progressive"
    per_pixel, per_byte = DECODING_COST_NS[kind]
    return image.width * image.height * per_pixel + size * per_byte


def _open(data, formats=tuple(IMAGE_TYPES)):
    return Image.open(io.BytesIO(data), formats=list(formats))


def _check_image(upload, data, budget, *, convert=False):
    too_many_pixels = _error(_("“%(name)s” has too many pixels to be an ordinary picture."), upload)
    too_large = _error(
        _("“%(name)s” is too large a picture to check. Send a smaller one (a JPEG photo, for example)."), upload
    )
    formats = (*IMAGE_TYPES, *CONVERTED_TYPES) if convert else tuple(IMAGE_TYPES)
    try:
        probe = _open(data, formats)  # reads the header only (of the first frame)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except Exception:
        return None
    with probe:
        fmt = probe.format
        if fmt not in formats:
            return None
        if probe.width * probe.height > MAX_PIXELS:
            raise too_many_pixels
        budget.spend(decoding_cost(probe, len(data)), upload, alone_error=too_large)
        try:
            probe.verify()
        except Exception:
            return None
    try:
        with _open(data, formats) as image:
            image.load()  # the first frame only
            content = _clean(_png_mode(image), "PNG") if fmt in CONVERTED_TYPES else _clean(image, fmt)
    except Exception:
        return None
    if fmt in CONVERTED_TYPES:
        return CheckedFile(
            ContentFile(content),
            file_name_for(upload.name, "image/png"),
            "image/png",
            len(content),
            CONVERTED_TYPES[fmt],
        )
    return CheckedFile(
        ContentFile(content), file_name_for(upload.name, IMAGE_TYPES[fmt]), IMAGE_TYPES[fmt], len(content)
    )


def _png_mode(image):
    """A converted picture in a mode PNG has (a TIFF may be CMYK, LAB, YCbCr, float…)."""
    if image.mode in PNG_MODES:
        return image
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def _clean(image, fmt):
    """The picture re-encoded: upright, with its transparency and nothing else of `info`
    (Pillow would carry a JPEG comment or a PNG's ICC profile over from it)."""
    with contextlib.suppress(Exception):  # a damaged orientation tag leaves the picture as it is
        ImageOps.exif_transpose(image, in_place=True)
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    out = io.BytesIO()
    image.save(out, format=fmt, **SAVE_OPTIONS[fmt])
    return out.getvalue()


# --- PDFs -------------------------------------------------------------------------------------

# What makes a PDF act rather than show: scripts, actions run by the viewer (on opening, on
# a page or field event) and embedded files. A link to a web address (/URI) or to a page of
# the document (/GoTo) is allowed; so is an /OpenAction that is a destination (open at page
# 1), which generated invoices often have, as opposed to an action dictionary.
ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/XFA", "/RichMediaContent"}
ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToR",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
}
ACTIVE_TYPES = {"/EmbeddedFile", "/FileAttachment", "/RichMedia"}


class _Refused(Exception):
    """The PDF parsed, but cannot be accepted; carries the message."""


class _TooSlow(Exception):
    """Reading the PDF took the whole request's budget (a backstop: the estimate from its
    number of objects should have refused it first)."""


def _value(dictionary, key):
    value = dictionary.get(key)
    return value.get_object() if value is not None else None


def _is_active(dictionary):
    if not ACTIVE_KEYS.isdisjoint(dictionary.keys()):
        return True
    if _value(dictionary, "/S") in ACTIVE_ACTIONS:
        return True
    if _value(dictionary, "/Type") in ACTIVE_TYPES or _value(dictionary, "/Subtype") in ACTIVE_TYPES:
        return True
    return isinstance(_value(dictionary, "/OpenAction"), DictionaryObject)


def _is_active_object(value):
    """Look through one object and what it holds directly (other objects are read on
    their own); an iterative walk, so a deeply nested array cannot exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):
            if _is_active(item):
                return True
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def _pdf_objects(reader):
    """The trailer, then every object the cross-reference lists, read one at a time."""
    yield reader.trailer
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield IndirectObject(number, generation, reader).get_object()
    for number in reader.xref_objStm:
        yield IndirectObject(number, 0, reader).get_object()


def _check_pdf(upload, data, budget):
    """Every object the file's cross-reference lists is read, whether the document
    refers to it or not (a viewer repairing the file could find it). Reading may take
    what is left of the request's budget and no more."""
    too_large = _error(_("“%(name)s” is too large a document to check. Send a shorter one or split it."), upload)
    # CPU time of this thread: the work done for this request, whatever else the machine runs.
    started = time.thread_time()
    deadline = started + budget.left / 1e9
    estimate = 0
    try:
        if sum(1 for _line in XREF_LINE.finditer(data)) > MAX_XREF_ENTRIES:
            raise too_large
        with apply_configuration(**PDF_LIMITS):
            reader = PdfReader(io.BytesIO(data), strict=False, xref_stream_maximum_entries=MAX_XREF_ENTRIES)
            if reader.is_encrypted and not reader.decrypt(""):
                raise _Refused(_("“%(name)s” is protected by a password. Send it without the password."))
            count = sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm)
            if count > MAX_PDF_OBJECTS:
                raise too_large
            estimate = count * PDF_OBJECT_COST_NS
            budget.spend(estimate, upload, alone_error=too_large)
            for value in _pdf_objects(reader):
                if _is_active_object(value):
                    raise _Refused(
                        _(
                            "“%(name)s” contains scripts, automatic actions or embedded files. Send a PDF without "
                            "them (for example, print it to PDF again)."
                        )
                    )
                if time.thread_time() > deadline:
                    raise _TooSlow
            if len(reader.pages) < 1:
                raise ValueError("no page")
    except _Refused as refusal:
        raise _error(refusal.args[0], upload) from None
    except (_TooSlow, LimitReachedError):
        raise too_large from None
    except DomainError:
        raise
    except Exception:
        raise _error(_("“%(name)s” is not a complete PDF file."), upload) from None
    finally:
        # What reading took beyond the estimate is the request's too.
        budget.left = max(budget.left - max(int((time.thread_time() - started) * 1e9) - estimate, 0), 0)
    return CheckedFile(ContentFile(data), file_name_for(upload.name, PDF), PDF, len(data))


# --- Entry points -----------------------------------------------------------------------------


def check_upload(upload, *, allow_pdf=True, max_bytes=MAX_BYTES, budget=None, convert=False):
    """Return a CheckedFile, or raise DomainError saying what is wrong with it. `budget`
    is the request's DecodingBudget when several files are checked together. `convert`:
    GIF, BMP and TIFF pictures are taken too, as PNG (CONVERTED_TYPES; the seller API)."""
    budget = budget or DecodingBudget()
    data = _read(upload, max_bytes)
    if not data:
        raise DomainError(_("“%(name)s” is empty.") % {"name": upload.name}, field="files")
    if allow_pdf and data.startswith(b"%PDF-"):
        return _check_pdf(upload, data, budget)
    checked = _check_image(upload, data, budget, convert=convert)
    if checked is None:
        if convert:
            allowed = _("PNG, GIF, BMP, TIFF, JPEG, WebP or PDF")
        else:
            allowed = _("JPEG, PNG, WebP or PDF") if allow_pdf else _("JPEG, PNG or WebP")
        raise DomainError(
            _("“%(name)s” is not a %(allowed)s file (checked by its content, not its name).")
            % {"name": upload.name, "allowed": allowed},
            field="files",
        )
    return checked


def check_uploads(uploads, *, max_count, min_count=0, allow_pdf=True, max_bytes=MAX_BYTES):
    """Check the files of one request against one decoding budget."""
    uploads = list(uploads)
    if len(uploads) > max_count:
        raise DomainError(
            _("You can attach at most %(max)s files; you chose %(count)s.") % {"max": max_count, "count": len(uploads)},
            field="files",
        )
    if len(uploads) < min_count:
        raise DomainError(
            _("Add at least %(min)s files; you chose %(count)s.") % {"min": min_count, "count": len(uploads)},
            field="files",
        )
    budget = DecodingBudget()
    return [check_upload(u, allow_pdf=allow_pdf, max_bytes=max_bytes, budget=budget) for u in uploads]
