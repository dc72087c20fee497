"""Customer photos (R7): accept real images only, and keep nothing of the file but its pixels.

An upload is untrusted bytes. It is decoded with Pillow, limited to a few formats,
checked for size and pixel count before any pixel is decoded, then drawn onto a
fresh RGB canvas and saved as a new JPEG. What is stored is therefore only what we
wrote: no EXIF (GPS, camera serial), no ICC profile, no comments, nothing appended
after the image data. Where it is stored (random names, private) is the model's job.
"""

from __future__ import annotations

import io
import math
import posixpath
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from returns.exceptions import ReturnsError

try:  # iPhone photos. Without the library HEIC is refused with its own message.
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    HEIF_AVAILABLE = False
else:
    register_heif_opener()
    HEIF_AVAILABLE = True

DEFAULTS: dict[str, int | float] = {
    "PHOTO_MAX_BYTES": 10 * 1024 * 1024,
    "PHOTO_MAX_COUNT": 8,
    "PHOTO_MAX_PIXELS": 40_000_000,
    "PHOTO_MAX_DIMENSION": 2560,
    "PHOTO_THUMBNAIL_SIZE": 320,
    "PHOTO_DECODES_PER_PROCESS": 1,
    "PENDING_PHOTO_MAX_BYTES": 2 * 1024 * 1024 * 1024,
    "PENDING_PHOTOS_PER_CUSTOMER": 40,
    "PHOTO_DECODE_WAIT": 20.0,
}
JPEG_QUALITY = 85
# Pillow's plugin names. "JPEG" also opens MPO, the multi-picture JPEG some phone cameras write.
BASE_FORMATS = ("JPEG", "PNG", "WEBP")
# ISO base media "ftyp" brands used by HEIC/HEIF stills, to name the format when we cannot read it.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class ImageRejected(ReturnsError):
    """A photo we will not store; the message names the file, says why and what to do."""

    def __init__(self, message: str, *, filename: str = ""):
        super().__init__(message)
        self.filename = filename


class PhotoServerBusy(ImageRejected):
    """Every decoding slot of this process stayed taken: nothing is wrong with the photo; try again shortly."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo decoded and re-encoded here: only these bytes are ever stored."""

    kind: str
    image: ContentFile[bytes]
    thumbnail: ContentFile[bytes]
    width: int
    height: int
    original_name: str = ""


_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _decode_slots() -> threading.BoundedSemaphore:
    """One semaphore per process, sized by PHOTO_DECODES_PER_PROCESS (remade if the setting changes)."""
    global _slots
    size = max(1, int(setting("PHOTO_DECODES_PER_PROCESS")))
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


def setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def _accepted_formats() -> tuple[str, ...]:
    return (*BASE_FORMATS, "HEIF") if HEIF_AVAILABLE else BASE_FORMATS


def mb(size: int, *, up: bool) -> str:
    """Megabytes with one decimal, rounded so a file just over the limit never reads as equal to it."""
    tenths = size * 10 / (1024 * 1024)
    tenths = math.ceil(tenths) if up else math.floor(tenths)
    return f"{tenths / 10:.1f}".removesuffix(".0")


def check_photo_count(*, count: int) -> None:
    """Refuse a request with more photos than one return may carry."""
    limit = setting("PHOTO_MAX_COUNT")
    if count > limit:
        raise ImageRejected(f"You added {count} photos; a return can have at most {limit}.")


def process_photo(*, upload: File[bytes], kind: str) -> ProcessedPhoto:
    """Check one upload and return a clean JPEG and thumbnail for it, or raise ImageRejected.

    The decoding runs in one of PHOTO_DECODES_PER_PROCESS slots, so however many
    uploads arrive at once, a process decodes only that many and its other threads
    keep answering pages. An upload that waits longer than PHOTO_DECODE_WAIT is
    refused with ``PhotoServerBusy`` (the customer tries again; nothing is lost).
    """
    name = posixpath.basename(str(getattr(upload, "name", "") or "").replace("\\", "/")).strip()[:255]
    label = f"“{name}”" if name else "This file"
    data = _read_limited(upload, label, name)
    slots = _decode_slots()
    if not slots.acquire(timeout=float(getattr(settings, "PHOTO_DECODE_WAIT", DEFAULTS["PHOTO_DECODE_WAIT"]))):
        raise PhotoServerBusy(
            f"{label} could not be processed now: many photos are arriving at once. Please try again in a minute.",
            filename=name,
        )
    try:
        image = _decode(data, label, name)
        del data
        image.thumbnail((setting("PHOTO_MAX_DIMENSION"),) * 2, Image.Resampling.LANCZOS)
        clean = _flatten(image)
        del image
        thumb = clean.copy()
        thumb.thumbnail((setting("PHOTO_THUMBNAIL_SIZE"),) * 2, Image.Resampling.LANCZOS)
        return ProcessedPhoto(
            kind=kind,
            image=ContentFile(_jpeg(clean), name="photo.jpg"),
            thumbnail=ContentFile(_jpeg(thumb), name="thumb.jpg"),
            width=clean.width,
            height=clean.height,
            original_name=name,
        )
    finally:
        slots.release()


def draft_size(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size the kept photo will have: ``width`` × ``height`` scaled so its longer side is ``longest``.

    JPEG draft decoding (1/2, 1/4, 1/8 scale) reduces only while the result still
    covers the requested box in both directions. Asking for a square box would
    never reduce a 4:3 or 3:2 photo (its short side is below the box); asking for
    the photo's own display size lets a 6000 × 4000 photo decode at 3000 × 2000.
    """
    if max(width, height) <= longest:
        return width, height
    scale = longest / max(width, height)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _read_limited(upload: File[bytes], label: str, name: str) -> bytes:
    """Refuse a big file on its declared size, and never read more than the limit plus one byte."""
    limit = setting("PHOTO_MAX_BYTES")
    try:
        size = upload.size
    except (AttributeError, OSError, ValueError):
        size = None
    if size is not None and size > limit:
        message = f"{label} is {mb(size, up=True)} MB; photos can be at most {mb(limit, up=False)} MB each."
        raise ImageRejected(message, filename=name)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:  # the declared size was missing or wrong
        raise ImageRejected(
            f"{label} is more than {mb(limit, up=False)} MB; photos can be at most that size each.", filename=name
        )
    return data


def _decode(data: bytes, label: str, name: str) -> Image.Image:
    """Identify by content (never the name or content type), check the pixel count, then decode fully.

    Pillow's own bomb check raises DecompressionBombError above twice
    Image.MAX_IMAGE_PIXELS; below that our limit (smaller by default) applies
    first, from the header, before any pixel data is decoded. We do not touch the
    process-wide warnings filter to turn DecompressionBombWarning into an error
    (not thread-safe); we catch it for when warnings are errors (as in tests).
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise ImproperlyConfigured("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False: cut-short photos would pass.")
    limit = setting("PHOTO_MAX_PIXELS")
    megapixels = f"the limit is {limit / 1_000_000:g} megapixels"
    damaged = (
        f"{label} seems to be cut short or damaged (the upload may have been interrupted). "
        "Please try again, or choose another photo."
    )
    try:
        image = Image.open(io.BytesIO(data), formats=_accepted_formats())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"{label} is too large an image; {megapixels}.", filename=name) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(_not_an_image(data, label), filename=name) from exc
    except Exception as exc:  # decoders of hostile bytes fail in many ways; all mean "unreadable"
        raise ImageRejected(damaged, filename=name) from exc
    width, height = image.size
    if width * height > limit:
        message = f"{label} is too large an image ({width} × {height} pixels); {megapixels}."
        raise ImageRejected(message, filename=name)
    try:
        # JPEG only: decode at 1/2, 1/4 or 1/8 scale when that still covers the
        # largest size we keep. It still reads the whole stream, so truncation shows.
        image.draft(None, draft_size(width, height, setting("PHOTO_MAX_DIMENSION")))
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
    except Exception as exc:
        raise ImageRejected(damaged, filename=name) from exc
    return image


def _not_an_image(data: bytes, label: str) -> str:
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:  # only reached when pillow-heif is missing
        return (
            f"{label} is an iPhone HEIC photo, which we cannot read yet. Please send it as a JPEG "
            "(on iPhone: Settings › Camera › Formats › Most Compatible)."
        )
    kinds = "JPEG, PNG, WebP or HEIC" if HEIF_AVAILABLE else "JPEG, PNG or WebP"
    return f"{label} is not a photo we can read (it is not a {kinds} image). Please choose a photo file."


def _flatten(image: Image.Image) -> Image.Image:
    """Paint the pixels onto a new white RGB canvas: transparency becomes white and no metadata comes along."""
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, (255, 255, 255))
    canvas.paste(rgba, mask=rgba)
    return canvas


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()
