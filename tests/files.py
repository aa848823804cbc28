"""Files for the upload tests (DSC-11, BLK-05, SAFE-08), made here rather than kept as
fixtures: pictures with Pillow (with or without metadata), PDFs with pypdf (ordinary, or
carrying scripts, actions or embedded files) and a script that only starts and ends like
a PDF."""

import functools
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

# Markers written into the metadata of a picture; none may survive the upload.
CAMERA = "SecretCamera-4711"
COMMENT = "secret-comment-4711"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>secret-xmp-4711</rdf:RDF></x:xmpmeta>'
MARKERS = (CAMERA.encode(), COMMENT.encode(), b"secret-xmp-4711")

# A script that starts like a PDF and ends like one, and nothing in between is a PDF:
# saved under its own name (.hta), Windows would run it.
FAKE_PDF_HTA = (
    b"%PDF-1.4\n<html><head><hta:application></head>"
    b"<script>new ActiveXObject('WScript.Shell').Run('calc.exe')</script></html>\n%%EOF\n"
)


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _exif():
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = CAMERA  # Model
    return exif


def _icc():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def picture(fmt="PNG", size=(64, 48), *, color=(200, 30, 30), metadata=False, mode="RGB"):
    """A picture in `fmt`; with `metadata`, EXIF (camera), ICC and XMP, plus a comment
    where the format has one (JPEG COM segment, PNG text chunk)."""
    image = Image.new(mode, size, color)
    options = {}
    if fmt == "WEBP":
        options["method"] = 0  # the fastest encoder: some tests make big pictures
    if metadata:
        options.update(exif=_exif(), icc_profile=_icc(), xmp=XMP)
        if fmt == "JPEG":
            options["comment"] = COMMENT
        if fmt == "PNG":
            info = PngInfo()
            info.add_text("Comment", COMMENT)
            info.add_itxt("XML:com.adobe.xmp", XMP.decode())
            options["pnginfo"] = info
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


@functools.cache
def big_picture(fmt, width, height):
    """A plain picture of many pixels (small on disk), made once per test run."""
    return picture(fmt, (width, height))


def _name(value):
    return NameObject(value)


def pdf(*, catalog=None, page=None, javascript=None, attachment=None, orphan=None, password=None, filler=0):
    """A one-page PDF written by pypdf. `catalog`/`page` add entries to the document
    catalog/the page, `javascript` adds document-level JavaScript, `attachment` an
    embedded file, `orphan` an object nothing refers to, `filler` that many small objects;
    `password` encrypts it."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    for number in range(filler):
        writer._add_object(NumberObject(number))
    if javascript:
        # The document-level JavaScript name tree (what Acrobat runs on opening).
        script = writer._add_object(action("JavaScript", JS=javascript))
        tree = DictionaryObject({_name("/Names"): ArrayObject([TextStringObject("init"), script])})
        writer._root_object[_name("/Names")] = DictionaryObject({_name("/JavaScript"): writer._add_object(tree)})
    if attachment:
        writer.add_attachment(*attachment)
    for key, value in (catalog or {}).items():
        writer._root_object[_name(key)] = value(writer) if callable(value) else value
    page_object = writer.pages[0]
    for key, value in (page or {}).items():
        page_object[_name(key)] = value(writer) if callable(value) else value
    if orphan is not None:
        writer._add_object(orphan)
    if password:
        writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def action(kind, **entries):
    """An action dictionary: /S /<kind> plus entries (values as text)."""
    action = DictionaryObject({_name("/S"): _name(f"/{kind}")})
    for key, value in entries.items():
        action[_name(f"/{key}")] = TextStringObject(value)
    return action


def javascript_action():
    return action("JavaScript", JS="app.alert('hello')")


def open_at_first_page(writer):
    """The usual /OpenAction of generated invoices: a destination (page 1, fit), not an action."""
    return ArrayObject([writer.pages[0].indirect_reference, _name("/Fit")])


def link_annotation(link_action):
    """A page's /Annots with one link that runs `link_action` when clicked."""
    rect = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(100)])
    annotation = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): rect,
            _name("/A"): link_action,
        }
    )
    return lambda writer: ArrayObject([writer._add_object(annotation)])


def additional_actions():
    """A page's /AA: an action run when the page is opened."""
    return DictionaryObject({_name("/O"): action("URI", URI="https://example.com/")})
