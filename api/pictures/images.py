"""Course pictures: checking an upload and rendering its square versions with Pillow.

Nothing here touches the database or the disk; a `Picture` holds the rendered files in memory
until the course they belong to is written.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import io
import re
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

FIELD = "image_original"
# The media types we decode, and the Pillow format each must really be.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
# Square renditions, by the name of the field that links to them: edge length in pixels.
RENDITIONS = {"image_bigger": 1024, "image_big": 512, "image_medium": 256, "image_small": 96}
# The shorter side of an upload must cover the smallest rendition; bigger ones are scaled up.
MIN_SIDE = min(RENDITIONS.values())
WEBP_QUALITY = 85
# Part of every file name: bump it when rendering changes, so new files never reuse old names.
RENDERING = "webp-q85-v1"

# Decoding and rendering take up to a second of CPU and hundreds of megabytes each; more of them at
# once than a worker's share of the cores would only queue in memory.
_decoders = threading.BoundedSemaphore(2)

_DATA_URL = re.compile(r"data:(?P<type>image/[a-z]+);base64,(?P<data>[A-Za-z0-9+/]*={0,2})")


@dataclass(frozen=True)
class Picture:
    """A checked upload: the name its files share, and each rendition's WebP bytes by edge length."""

    digest: str
    files: dict[int, bytes]


def from_data_url(text: str, max_bytes: int, max_pixels: int, key: bytes) -> Picture:
    """A `data:image/…;base64,…` URL, as JSON bodies carry a picture."""
    match = _DATA_URL.fullmatch(text)
    if match is None:
        raise BadRequest(
            "Send the picture as a data URL (data:image/png;base64,...) or as a multipart file part.",
            field=FIELD,
            code="invalid",
        )
    # Refuse an oversized picture before decoding it: 4 base64 characters carry 3 bytes.
    if len(match["data"]) // 4 * 3 > max_bytes + 2:
        raise too_large(max_bytes)
    try:
        data = base64.b64decode(match["data"], validate=True)
    except binascii.Error:
        raise BadRequest("The data URL's base64 is malformed.", field=FIELD, code="invalid")
    return render(match["type"], data, max_bytes=max_bytes, max_pixels=max_pixels, key=key)


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The picture is larger than the limit of {max_bytes} bytes.", field=FIELD)


def check_declared_type(media_type: str | None) -> str:
    media_type = (media_type or "").split(";", 1)[0].strip().lower()
    if media_type not in FORMATS:
        raise UnsupportedMediaType(
            f"A picture must be one of {', '.join(FORMATS)}; the file part says {media_type or 'nothing'}.",
            field=FIELD,
        )
    return media_type


def render(media_type: str, data: bytes, *, max_bytes: int, max_pixels: int, key: bytes) -> Picture:
    """Check that `data` is a picture of the declared type and render its square versions.

    Only the header is read before the size checks, so a small file that would expand to gigabytes
    (a decompression bomb) is refused without being decoded. The files' name is keyed with the
    server's `key` (see `file_name`).
    """
    media_type = check_declared_type(media_type)
    if not data:
        raise BadRequest("The picture is empty.", field=FIELD, code="empty")
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    with _decoders:
        files = _render(media_type, data, max_pixels)
    return Picture(digest=file_name(data, key), files=files)


def _render(media_type: str, data: bytes, max_pixels: int) -> dict[int, bytes]:
    """Each rendition's WebP bytes by edge length."""
    try:
        with warnings.catch_warnings():
            # Our own pixel limit (checked below) is the one that counts; Pillow's only backs it up.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS.values()))
        with image:
            _check_header(image, media_type, max_pixels)
            # JPEG can decode at 1/2, 1/4 or 1/8 scale: enough pixels for the biggest rendition, far quicker.
            image.draft("RGB", (max(RENDITIONS.values()),) * 2)
            square = _square(image)
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise BadRequest(f"The file is not a readable {media_type} picture.", field=FIELD, code="invalid_image")
    return {size: _webp(square, size) for size in sorted(RENDITIONS.values())}


def file_name(data: bytes, key: bytes) -> str:
    """The name an upload's files share: the same upload always gets the same name.

    An HMAC rather than a plain hash: someone who holds a picture (seen elsewhere, say) cannot
    compute its URL, and so cannot probe whether a course they may not see uses it.
    """
    return hmac.new(key, RENDERING.encode() + b"\0" + data, hashlib.sha256).hexdigest()[:32]


def _check_header(image: Image.Image, media_type: str, max_pixels: int) -> None:
    if image.format != FORMATS[media_type]:
        raise BadRequest(
            f"The file is a {image.format} picture, not {media_type} as declared.", field=FIELD, code="type_mismatch"
        )
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, f"{width}x{height}")
    if min(width, height) < MIN_SIDE:
        raise BadRequest(
            f"The picture is {width}x{height} pixels; both sides must be at least {MIN_SIDE} pixels.",
            field=FIELD,
            code="too_small",
        )


def _too_many_pixels(max_pixels: int, size: str = "too many") -> BadRequest:
    return BadRequest(
        f"The picture has {size} pixels; at most {max_pixels} pixels are accepted.", field=FIELD, code="too_many_pixels"
    )


def _square(image: Image.Image) -> Image.Image:
    """The decoded first frame, upright as the camera meant it, cropped to its centre square."""
    image.seek(0)
    upright = ImageOps.exif_transpose(image)
    transparent = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    upright = upright.convert("RGBA" if transparent else "RGB")
    side = min(upright.size)
    left, top = (upright.width - side) // 2, (upright.height - side) // 2
    return upright.crop((left, top, left + side, top + side))


def _webp(square: Image.Image, size: int) -> bytes:
    rendition = square.resize((size, size), Image.Resampling.LANCZOS)
    # A fresh image carries no EXIF, XMP or ICC data of the upload: location and camera details go.
    rendition.info.clear()
    out = io.BytesIO()
    rendition.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exif=b"", xmp=b"")
    return out.getvalue()


# The picture of every course without one: a plain light grey, which no layout mistakes for content.
NEUTRAL_COLOUR = (226, 228, 231)


@functools.cache
def neutral_picture(size: int) -> bytes:
    """The neutral square of one rendition size, as WebP; rendered once per process, it never changes."""
    return _webp(Image.new("RGB", (size, size), NEUTRAL_COLOUR), size)
