"""Photo uploads (R7): only real images get through, and only their pixels are kept.

Every file here is a real image (or a deliberately broken one) made with Pillow in
memory, so the tests exercise the same decoders an upload would.
"""

import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageFile

from returns.exceptions import ReturnsError
from returns.services import images
from returns.services.images import ImageRejected, check_photo_count, process_photo


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def decoded(file) -> Image.Image:
    file.seek(0)
    image = Image.open(io.BytesIO(file.read()))
    image.load()
    return image


def photo(size=(640, 480)) -> Image.Image:
    """Noise rather than a flat colour, so encoders do real work."""
    return Image.effect_noise(size, 40).convert("RGB")


def heic_bytes(image: Image.Image) -> bytes:
    try:
        return encode(image, "HEIF")
    except (KeyError, OSError, ValueError, RuntimeError) as exc:
        pytest.skip(f"no HEIF encoder in this environment: {exc}")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height with a few bytes of pixel data (costs nothing to make)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "fmt", "options"),
    [("IMG_0001.jpg", "JPEG", {}), ("scan.png", "PNG", {}), ("shot.webp", "WEBP", {"quality": 90})],
)
def test_jpeg_png_and_webp_come_out_as_a_fresh_jpeg_and_thumbnail(name, fmt, options):
    result = process_photo(upload=upload(name, encode(photo(), fmt, **options)), kind="issue")

    assert result.kind == "issue"
    assert result.original_name == name
    main, thumb = decoded(result.image), decoded(result.thumbnail)
    assert (main.format, main.mode, main.size) == ("JPEG", "RGB", (640, 480))
    assert (thumb.format, thumb.size) == ("JPEG", (320, 240))
    assert result.image.name == "photo.jpg"
    assert result.thumbnail.name == "thumb.jpg"


def test_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 50, 100))
    result = process_photo(upload=upload("logo.png", encode(image, "PNG"), "image/png"), kind="packaging")

    out = decoded(result.image)
    assert out.mode == "RGB"
    assert all(channel > 245 for channel in out.getpixel((90, 50)))  # was transparent
    red, green, blue = out.getpixel((10, 50))
    assert red > 180 and green < 40 and blue < 40


def test_iphone_heic_is_accepted():
    result = process_photo(upload=upload("IMG_4242.HEIC", heic_bytes(photo((400, 300))), "image/heic"), kind="issue")

    out = decoded(result.image)
    assert (out.format, out.size) == ("JPEG", (400, 300))
    assert result.original_name == "IMG_4242.HEIC"


def test_heic_without_the_library_is_refused_with_a_clear_message(monkeypatch):
    data = heic_bytes(photo((64, 48)))
    monkeypatch.setattr(images, "HEIF_AVAILABLE", False)

    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=upload("IMG_4243.HEIC", data, "image/heic"), kind="issue")

    assert "“IMG_4243.HEIC” is an iPhone HEIC photo, which we cannot read yet" in caught.value.message
    assert "Most Compatible" in caught.value.message


def test_text_file_named_jpg_is_refused_whatever_its_name_and_content_type():
    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=upload("holiday.jpg", b"just some notes, not a photo\n" * 20), kind="issue")

    assert isinstance(caught.value, ReturnsError)
    assert caught.value.filename == "holiday.jpg"
    assert caught.value.message == (
        "“holiday.jpg” is not a photo we can read (it is not a JPEG, PNG, WebP or HEIC image). "
        "Please choose a photo file."
    )


def test_formats_other_than_the_four_are_refused_even_if_pillow_reads_them():
    gif = encode(Image.new("P", (20, 20)), "GIF")
    with pytest.raises(ImageRejected, match=re.escape("“anim.gif” is not a photo we can read")):
        process_photo(upload=upload("anim.gif", gif, "image/gif"), kind="issue")


def test_html_appended_to_a_png_does_not_survive():
    hostile = encode(photo((120, 90)), "PNG") + b"<html><script>alert(1)</script></html>"
    assert b"<script" in hostile  # the input really carries it

    result = process_photo(upload=upload("innocent.png", hostile, "image/png"), kind="issue")

    for file in (result.image, result.thumbnail):
        file.seek(0)
        assert b"<script" not in file.read()
        assert decoded(file).format == "JPEG"


def test_truncated_jpeg_is_refused_as_cut_short():
    data = encode(photo(), "JPEG")
    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=upload("IMG_1.jpg", data[: len(data) // 2]), kind="issue")

    assert caught.value.message.startswith("“IMG_1.jpg” seems to be cut short or damaged")
    assert "upload may have been interrupted" in caught.value.message


def test_truncated_large_jpeg_is_caught_even_when_decoded_at_reduced_scale(settings):
    settings.PHOTO_MAX_DIMENSION = 300  # the JPEG decoder then works at 1/4 scale
    data = encode(photo((1600, 1200)), "JPEG")
    with pytest.raises(ImageRejected, match=re.escape("“big_cut.jpg” seems to be cut short")):
        process_photo(upload=upload("big_cut.jpg", data[: len(data) * 3 // 4]), kind="issue")


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "cut.png"), ("WEBP", "cut.webp")])
def test_truncated_png_and_webp_are_refused(fmt, name):
    data = encode(photo(), fmt)
    with pytest.raises(ImageRejected, match=re.escape(f"“{name}” seems to be cut short")):
        process_photo(upload=upload(name, data[: len(data) // 2]), kind="issue")


def test_truncated_images_are_never_padded_silently(monkeypatch):
    """Someone switching Pillow's global to load cut-short files would let them through: fail loudly instead."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ImproperlyConfigured):
        process_photo(upload=upload("IMG_1.jpg", encode(photo((32, 32)), "JPEG")), kind="issue")


def test_image_over_the_pixel_limit_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 10_000
    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=upload("scan.png", encode(photo((120, 100)), "PNG")), kind="issue")

    assert caught.value.message == "“scan.png” is too large an image (120 × 100 pixels); the limit is 0.01 megapixels."


def test_pixel_limit_is_checked_from_the_header_before_decoding():
    """64 megapixels claimed and no data: refused as too large, so nothing was decoded."""
    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=upload("scan.png", png_header_only(8000, 8000)), kind="issue")

    assert caught.value.message == "“scan.png” is too large an image (8000 × 8000 pixels); the limit is 40 megapixels."


def test_decompression_bomb_header_is_refused():
    """10 gigapixels claimed in a few bytes: Pillow's own bomb check fires while opening."""
    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=upload("bomb.png", png_header_only(100_000, 100_000)), kind="issue")

    assert caught.value.message == "“bomb.png” is too large an image; the limit is 40 megapixels."


def test_oversized_file_is_refused_on_its_declared_size_without_reading_it(settings):
    settings.PHOTO_MAX_BYTES = 10 * 1024 * 1024

    class Declared:
        name = "big.jpg"
        size = 14_889_779  # 14.2 MB

        def read(self, *args):
            raise AssertionError("the file was read")

    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=Declared(), kind="issue")

    assert caught.value.message == "“big.jpg” is 14.2 MB; photos can be at most 10 MB each."


def test_file_a_byte_over_a_small_limit_is_refused(settings):
    data = encode(photo((200, 200)), "JPEG")
    settings.PHOTO_MAX_BYTES = len(data) - 1
    with pytest.raises(ImageRejected, match=r"“IMG_2\.jpg” is [\d.]+ MB; photos can be at most [\d.]+ MB each\."):
        process_photo(upload=upload("IMG_2.jpg", data), kind="issue")

    settings.PHOTO_MAX_BYTES = len(data)
    assert process_photo(upload=upload("IMG_2.jpg", data), kind="issue").original_name == "IMG_2.jpg"


def test_file_that_understates_its_size_is_cut_off_at_the_limit(settings):
    settings.PHOTO_MAX_BYTES = 1024 * 1024
    lying = upload("small.png", encode(photo((1000, 1000)), "PNG"))
    assert lying.size > 1024 * 1024
    lying.size = 10

    with pytest.raises(ImageRejected) as caught:
        process_photo(upload=lying, kind="issue")

    assert caught.value.message == "“small.png” is more than 1 MB; photos can be at most that size each."


@pytest.mark.parametrize(("count", "ok"), [(0, True), (8, True), (9, False)])
def test_at_most_eight_photos_per_return(count, ok):
    if ok:
        check_photo_count(count=count)
        return
    with pytest.raises(ImageRejected) as caught:
        check_photo_count(count=count)
    assert caught.value.message == "You added 9 photos; a return can have at most 8."


def test_photo_count_limit_is_a_setting(settings):
    settings.PHOTO_MAX_COUNT = 2
    with pytest.raises(ImageRejected, match=re.escape("You added 3 photos; a return can have at most 2.")):
        check_photo_count(count=3)


def test_gps_and_all_other_exif_are_dropped():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 40.0),
    }
    data = encode(photo((200, 150)), "JPEG", exif=exif)
    source = Image.open(io.BytesIO(data)).getexif()
    assert source.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (51.0, 30.0, 12.5)

    result = process_photo(upload=upload("IMG_GPS.jpg", data), kind="issue")

    for file in (result.image, result.thumbnail):
        out = decoded(file)
        assert "exif" not in out.info
        assert "icc_profile" not in out.info
        assert dict(out.getexif()) == {}
        assert ExifTags.Base.GPSInfo not in out.getexif()
        file.seek(0)
        assert b"PhoneMaker" not in file.read()


def test_exif_orientation_is_applied_before_it_is_dropped():
    """Orientation 6 means 'turn 90° clockwise to view': the left edge ends up on top."""
    image = Image.new("RGB", (400, 200), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 100, 200))  # red left quarter
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    data = encode(image, "JPEG", exif=exif)

    result = process_photo(upload=upload("sideways.jpg", data), kind="issue")

    out = decoded(result.image)
    assert out.size == (200, 400)
    assert dict(out.getexif()) == {}
    red, _, blue = out.getpixel((100, 20))
    assert red > 200 and blue < 60
    assert decoded(result.thumbnail).size == (160, 320)


def test_large_photo_is_downscaled_and_thumbnailed():
    data = encode(Image.new("RGB", (5400, 5200), (30, 120, 60)), "JPEG")

    result = process_photo(upload=upload("DSC_9.jpg", data), kind="packaging")

    main, thumb = decoded(result.image), decoded(result.thumbnail)
    assert max(main.size) == 2560
    assert main.size[1] == pytest.approx(2560 * 5200 / 5400, abs=2)
    assert max(thumb.size) == 320


def test_only_the_base_name_is_kept_and_trimmed():
    result = process_photo(upload=upload("a" * 300 + ".jpg", encode(photo((20, 20)), "JPEG")), kind="issue")
    assert len(result.original_name) <= 255

    class Windows:
        name = "C:\\Users\\ana\\Pictures\\box.jpg"
        size = None

        def __init__(self, data):
            self.stream = io.BytesIO(data)
            self.read = self.stream.read

    result = process_photo(upload=Windows(encode(photo((20, 20)), "JPEG")), kind="issue")
    assert result.original_name == "box.jpg"
