"""Checking uploaded files by their content, never their name (DSC-11, BLK-05, SEC-02).

Size is checked before anything is read; images are decoded with Pillow (`verify()`,
then decoded again and re-encoded, which drops anything hidden after the picture and
its metadata) with a pixel cap against decompression bombs; PDFs must look like PDFs.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from .errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"


@dataclass
class CheckedFile:
    content: ContentFile
    name: str
    content_type: str
    size: int


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


def _check_image(upload, data):
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in IMAGE_TYPES:
                    raise ValueError(fmt)
                if probe.width * probe.height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                out = io.BytesIO()
                if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
                    image = image.convert("RGB")
                image.save(out, format=fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(
            _("“%(name)s” has too many pixels to be an ordinary picture.") % {"name": upload.name}, field="files"
        ) from None
    except Exception:
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    return CheckedFile(ContentFile(out.getvalue()), upload.name, IMAGE_TYPES[fmt], out.tell())


def check_upload(upload, *, allow_pdf=True, max_bytes=MAX_BYTES):
    """Return a CheckedFile, or raise DomainError saying what is wrong with it."""
    data = _read(upload, max_bytes)
    if not data:
        raise DomainError(_("“%(name)s” is empty.") % {"name": upload.name}, field="files")
    if allow_pdf and data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise DomainError(_("“%(name)s” is not a complete PDF file.") % {"name": upload.name}, field="files")
        return CheckedFile(ContentFile(data), upload.name, PDF, len(data))
    checked = _check_image(upload, data)
    if checked is None:
        allowed = _("JPEG, PNG, WebP or PDF") if allow_pdf else _("JPEG, PNG or WebP")
        raise DomainError(
            _("“%(name)s” is not a %(allowed)s file (checked by its content, not its name).")
            % {"name": upload.name, "allowed": allowed},
            field="files",
        )
    return checked


def check_uploads(uploads, *, max_count, min_count=0, allow_pdf=True, max_bytes=MAX_BYTES):
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
    return [check_upload(u, allow_pdf=allow_pdf, max_bytes=max_bytes) for u in uploads]
