"""Upload checking costs (SAFE-08): what core.uploads' decoding budget is made of, and
how long the costliest requests it accepts take.

1. Per picture kind (format, JPEG baseline/progressive, PNG plain/interlaced, RGB/RGBA)
   and content (a photo, a screenshot, noise — the costliest to code), the CPU
   nanoseconds per pixel of the whole check (header, verify, decode, re-encode), next to
   core.uploads.PIXEL_COST_NS, which must not be below the worst measured.
2. Per PDF shape, the CPU microseconds per object pypdf reads, next to
   PDF_OBJECT_COST_NS.
3. Whole requests, wall clock and CPU: the costliest ones the budget accepts (five 12 MP
   phone photos, the biggest noise WebP and interlaced PNG, a PDF of MAX_PDF_OBJECTS
   objects, the wizard's three pictures plus the thumbnails its pages make) and the
   finding of issue 15 (five 40 MP WebP pictures), which is refused from the headers.

Run: .venv/bin/python bench/uploads.py [--repeat 3]
Figures are the best of --repeat runs (CPU time is less disturbed by other processes
than wall time, which is printed too).
"""

import argparse
import io
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from pypdf import PdfWriter  # noqa: E402
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject  # noqa: E402

from core import uploads  # noqa: E402
from core.errors import DomainError  # noqa: E402

MP = 1_000_000


def photo(size, mode):
    """Smooth shapes and gradients with a little sensor noise, like a photo."""
    small = Image.effect_noise((max(size[0] // 64, 2), max(size[1] // 64, 2)), 90).convert("RGB")
    image = small.resize(size, Image.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    image = Image.blend(image, Image.effect_noise(size, 40).convert("RGB"), 0.12)
    return image.convert(mode)


def screenshot(size, mode):
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for y in range(0, size[1], 18):
        draw.text((8, y), "Zamówienie 12345: paczka nie dotarła, proszę o zwrot " * 6, fill=(30, 30, 30))
    draw.rectangle((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(0, 110, 200))
    return image.convert(mode)


def noise(size, mode):
    if mode == "P":
        return noise(size, "RGB").convert("P", palette=Image.Palette.ADAPTIVE)
    channels = [Image.effect_noise(size, 128) for _ in range(len(mode))]
    return Image.merge(mode, channels) if len(mode) > 1 else channels[0]


def encode(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def flat(size, mode):
    return Image.new("RGB", size, (200, 40, 40)).convert(mode)


def noise16(size, mode):
    """16 bits per sample (Pillow writes "I;16" as a 16-bit greyscale PNG)."""
    return Image.merge("I", [Image.effect_noise(size, 128).convert("I")]).point(lambda v: v * 257).convert("I;16")


# (cost key, format, save options, [(content, mode)])
ALL = [(name, "RGB") for name in ("flat", "photo", "screenshot", "noise")]
ALPHA = [(name, "RGBA") for name in ("flat", "photo", "screenshot", "noise")]
KINDS = [
    ("JPEG", "JPEG", {"quality": 92}, [*ALL, ("noise", "L"), ("noise", "CMYK")]),
    ("JPEG progressive", "JPEG", {"quality": 92, "progressive": True}, ALL),
    ("PNG", "PNG", {}, [*ALL, *ALPHA, ("noise", "L"), ("noise", "P"), ("noise16", "I;16")]),
    ("PNG", "PNG", {"interlace": True}, [*ALL, *ALPHA]),
    ("WEBP", "WEBP", {"quality": 90}, ALL),
    ("WEBP", "WEBP", {"lossless": True}, ALL),
    ("WEBP", "WEBP", {"quality": 90}, ALPHA),
    ("WEBP", "WEBP", {"lossless": True}, ALPHA),
    # API-02: converted to PNG (the seller API's uploads, check_upload(convert=True)).
    ("GIF", "GIF", {}, [*ALL, ("noise", "P"), ("noise", "L")]),
    ("BMP", "BMP", {}, [*ALL, *ALPHA, ("noise", "P"), ("noise", "L")]),
    *[
        ("TIFF", "TIFF", {"compression": compression}, [*ALL, *ALPHA, ("noise", "L"), ("noise", "CMYK")])
        for compression in ("raw", "tiff_lzw", "tiff_adobe_deflate", "packbits")
    ],
    ("TIFF", "TIFF", {"compression": "jpeg"}, [*ALL, ("noise", "L"), ("noise", "CMYK")]),
]
CONTENTS = {"flat": flat, "photo": photo, "screenshot": screenshot, "noise": noise, "noise16": noise16}
PICTURE_PIXELS = 4 * MP  # per sample: enough to measure, short enough to run often


def fitting_size(make, fmt, mode, options):
    """The biggest 4:3 picture of this content (at most PICTURE_PIXELS) under the 10 MB
    upload limit."""
    pixels = PICTURE_PIXELS
    while True:
        width = int(math.sqrt(pixels * 4 / 3))
        size = (width, width * 3 // 4)
        data = encode(make(size, mode), fmt, **options)
        if len(data) <= uploads.MAX_BYTES or pixels < MP // 4:
            return size, data
        pixels = int(pixels * uploads.MAX_BYTES / len(data) * 0.9)


def best(repeat, function):
    cpu, wall, result = math.inf, math.inf, None
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        result = function()
        cpu = min(cpu, time.process_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started_wall)
    return cpu, wall, result


def check(name, data, budget_ns=10**15):
    return uploads.check_upload(SimpleUploadedFile(name, data), budget=uploads.DecodingBudget(budget_ns), convert=True)


def estimate(data):
    with Image.open(io.BytesIO(data)) as image:
        return uploads.decoding_cost(image, len(data)) / 1e9


def fit(samples):
    """The smallest (ns per pixel, ns per byte) that covers every sample, chosen to make a
    typical 12 MP, 3 MB photo cheapest: for each ns/byte on a grid, the ns/pixel the
    samples need."""
    choices = []
    for per_byte in range(0, 301):
        per_pixel = max((cpu * 1e9 - per_byte * size) / pixels for pixels, size, cpu in samples)
        per_pixel = max(per_pixel, 0)
        choices.append((12 * MP * per_pixel + 3 * MP * per_byte, math.ceil(per_pixel), per_byte))
    _cost, per_pixel, per_byte = min(choices)
    return per_pixel, per_byte


def pictures(repeat):
    print("1. Checking a picture: CPU time measured, and estimated from its header and size")
    print("   (core.uploads.decoding_cost; the estimate must not be below the measurement)")
    measured = {}
    lowest = math.inf
    for key, fmt, options, variants in KINDS:
        for content, mode in variants:
            size, data = fitting_size(CONTENTS[content], fmt, mode, options)
            cpu, _wall, _ = best(repeat, lambda data=data, fmt=fmt: check(f"x.{fmt.lower()}", data))
            pixels = size[0] * size[1]
            measured.setdefault(key, []).append((pixels, len(data), cpu))
            guess = estimate(data)
            lowest = min(lowest, guess / cpu)
            label = key + "".join(f" {option}" for option in ("lossless", "interlace") if options.get(option))
            label += f" {options['compression']}" if "compression" in options else ""
            print(
                f"   {label:<22} {content:<10} {mode:<4} {size[0]:>4}x{size[1]:<4} {len(data) / MP:4.1f} MB "
                f"{cpu:6.3f} s ({cpu * 1e9 / pixels:5.1f} ns/px), estimate {guess:6.3f} s x{guess / cpu:4.2f}"
            )
    print("   fitted (ns per pixel, ns per byte) covering every sample, and what core.uploads uses:")
    for key, samples in measured.items():
        print(f"   {key:<18} fitted {fit(samples)}, DECODING_COST_NS {uploads.DECODING_COST_NS[key]}")
    print(f"   lowest estimate / measurement: x{lowest:.2f} ({'ok' if lowest >= 1 else 'ESTIMATES TOO LOW'})")


def pdf_with_objects(count, *, entries=2):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    holder = ArrayObject()
    for i in range(count):
        holder.append(
            writer._add_object(
                DictionaryObject(
                    {
                        NameObject(f"/K{k}"): ArrayObject([NumberObject(i), TextStringObject("x" * 8)])
                        for k in range(entries)
                    }
                )
            )
        )
    writer._root_object[NameObject("/PieceInfo")] = writer._add_object(holder)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdfs(repeat):
    print("\n2. Checking a PDF, CPU us per object (against PDF_OBJECT_COST_NS, for objects of a few entries;")
    print("   bigger objects are stopped by the request's deadline, see 3.)")
    worst = 0
    for count, entries in [(1_000, 2), (9_000, 2), (1_000, 20)]:
        data = pdf_with_objects(count, entries=entries)
        cpu, _wall, _ = best(repeat, lambda data=data: check("x.pdf", data))
        per_object = cpu * 1e6 / (count + 4)
        if entries <= 2:
            worst = max(worst, per_object)
        print(f"   {count:6} objects of {entries:2} entries, {len(data) / MP:4.1f} MB: {per_object:5.1f} us/object")
    verdict = "ok" if worst <= uploads.PDF_OBJECT_COST_NS / 1000 else "TOO LOW"
    print(f"   worst {worst:.1f} us/object, PDF_OBJECT_COST_NS {uploads.PDF_OBJECT_COST_NS / 1000:.0f} us {verdict}")


def request(repeat, label, files, *, allow_pdf=True, after=None):
    def run():
        try:
            checked = uploads.check_uploads(
                [SimpleUploadedFile(name, data) for name, data in files], max_count=5, allow_pdf=allow_pdf
            )
        except DomainError as error:
            return f"refused: {error.message}"
        if after:
            after(checked)
        return f"accepted {len(checked)}"

    cpu, wall, outcome = best(repeat, run)
    print(f"   {label:<58} {wall:6.3f} s wall, {cpu:6.3f} s CPU  ({outcome})")
    return wall


def largest(fmt, options, mode="RGB", budget_share=1.0):
    """A noise picture of `fmt` as big as the budget (or the share of it) allows."""
    low, high, found = 1_000, uploads.MAX_PIXELS, None
    while high - low > 50_000:
        pixels = (low + high) // 2
        width = int(math.sqrt(pixels * 4 / 3))
        size = (width, pixels // width)
        data = encode(noise(size, mode), fmt, **options)
        fits = len(data) <= uploads.MAX_BYTES and estimate(data) * 1e9 <= uploads.REQUEST_BUDGET_NS * budget_share
        if fits:
            low, found = pixels, (data, size)
        else:
            high = pixels
    return found


def staged_thumbnails(checked):
    """The wizard's evidence step stages each checked picture with a thumbnail
    (buyers.wizard), which decodes it once more."""
    from buyers import wizard

    for item in checked:
        item.content.seek(0)
        wizard._thumbnail(item.content)


def entry_thumbnails(checked):
    """Confirming the wizard checks the pictures again and stores each with a thumbnail
    (buyers.services), which decodes it once more."""
    from buyers import services

    for item in checked:
        item.content.seek(0)
        services._thumbnail(item)


def requests(repeat):
    print(f"\n3. Whole requests (budget {uploads.REQUEST_BUDGET_NS / 1e9:.2f} s of estimated checking)")
    phone = encode(photo((4000, 3000), "RGB"), "JPEG", quality=92)
    request(repeat, "five 12 MP phone photos (JPEG)", [(f"IMG_{i}.jpg", phone) for i in range(5)])
    for label, fmt, options, mode in [
        ("WebP", "WEBP", {"quality": 90}, "RGB"),
        ("WebP with alpha", "WEBP", {"quality": 90}, "RGBA"),
        ("interlaced PNG with alpha", "PNG", {"interlace": True}, "RGBA"),
        ("progressive JPEG", "JPEG", {"quality": 92, "progressive": True}, "RGB"),
    ]:
        data, size = largest(fmt, options, mode)
        name = f"big.{fmt.lower()}"
        request(repeat, f"the biggest noise {label} ({size[0]}x{size[1]}, {len(data) / MP:.1f} MB)", [(name, data)])
    many_objects = pdf_with_objects(uploads.MAX_PDF_OBJECTS - 6)
    request(repeat, "a PDF of MAX_PDF_OBJECTS small objects", [("big.pdf", many_objects)])
    big_objects = pdf_with_objects(uploads.MAX_PDF_OBJECTS - 6, entries=20)
    request(repeat, f"a PDF of {uploads.MAX_PDF_OBJECTS} objects of 20 entries (deadline)", [("big.pdf", big_objects)])
    request(repeat, "five PDFs of 5,000 small objects", [(f"{i}.pdf", pdf_with_objects(4_996)) for i in range(5)])
    share, size = largest("WEBP", {"quality": 90}, budget_share=0.33)
    for step, after in [("evidence step", staged_thumbnails), ("confirmation", entry_thumbnails)]:
        request(
            repeat,
            f"wizard {step}: three noise WebP of {size[0]}x{size[1]} + thumbnails",
            [(f"t{i}.webp", share) for i in range(3)],
            allow_pdf=False,
            after=after,
        )
        request(
            repeat,
            f"wizard {step}: three 12 MP phone photos + thumbnails",
            [(f"t{i}.jpg", phone) for i in range(3)],
            allow_pdf=False,
            after=after,
        )
    finding = encode(Image.new("RGB", (8000, 5000), (200, 30, 30)), "WEBP", method=0)
    request(repeat, "issue 15: five 40 MP WebP pictures (refused)", [(f"p{i}.webp", finding) for i in range(5)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["pictures", "pdfs", "requests"])
    options = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    for name, part in [("pictures", pictures), ("pdfs", pdfs), ("requests", requests)]:
        if options.only in (None, name):
            part(options.repeat)


if __name__ == "__main__":
    main()
