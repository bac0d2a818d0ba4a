"""Photo intake: check that it is an image, drop EXIF (it carries the phone's GPS and owner), cap size."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from jingwu.lib.errors import Invalid

# Pillow's own guard raises DecompressionBombError at twice this; our check in process() comes first.
Image.MAX_IMAGE_PIXELS = settings.JINGWU_MAX_PHOTO_PIXELS

ALLOWED = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
MAX_SIDE = 4096


def content_types() -> list[str]:
    return sorted({t for t, _ in ALLOWED.values()})


@dataclass
class Photo:
    content: ContentFile[bytes]
    content_type: str
    width: int
    height: int
    sha256: str
    name: str


def process(upload: IO[bytes] | Any) -> Photo:
    size = getattr(upload, "size", None)
    limit = settings.JINGWU_MAX_PHOTO_BYTES
    if size is not None and size > limit:
        raise Invalid(gettext("照片超过 %(limit)s MB") % {"limit": limit // (1024 * 1024)}, code="photo_too_large")
    raw = upload.read()
    if len(raw) > limit:
        raise Invalid(gettext("照片过大"), code="photo_too_large")
    max_pixels = settings.JINGWU_MAX_PHOTO_PIXELS
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            # The header alone says how big the picture unpacks; refuse before a single pixel is decoded
            # (a 420 KB PNG can unpack to 180 megapixels and gigabytes of memory).
            width, height = probe.size
            if width * height > max_pixels:
                raise Invalid(
                    gettext("图片像素过多（%(width)s×%(height)s，最多%(megapixels)s百万像素）")
                    % {"width": width, "height": height, "megapixels": max_pixels // 1_000_000},
                    code="photo_too_many_pixels",
                )
            probe.verify()
        opened = Image.open(io.BytesIO(raw))
        fmt = opened.format or ""
        if fmt not in ALLOWED:
            raise Invalid(gettext("只接受 JPEG、PNG、WebP 照片"), code="photo_format")
        image = ImageOps.exif_transpose(opened)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
        else:
            image.save(out, fmt)
    except Invalid:
        raise
    except Image.DecompressionBombError as exc:
        raise Invalid(
            gettext("图片像素过多（最多%(megapixels)s百万像素）") % {"megapixels": max_pixels // 1_000_000},
            code="photo_too_many_pixels",
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Invalid(gettext("文件不是有效的图片"), code="photo_invalid") from exc
    data = out.getvalue()
    content_type, ext = ALLOWED[fmt]
    digest = hashlib.sha256(data).hexdigest()
    return Photo(ContentFile(data), content_type, image.width, image.height, digest, f"{digest}{ext}")


THUMB_SIDE = 320


def thumbnail(att: Any) -> str:
    """The path (in the media storage) of ``att``'s thumbnail, a JPEG at most 320 px on a side, made the first
    time it is asked for and kept under the photo's digest (the same photo twice is one thumbnail)."""
    from django.core.files.storage import default_storage

    name = f"thumbs/{att.sha256[:2]}/{att.sha256}.jpg"
    if default_storage.exists(name):
        return name
    with att.file.open("rb") as fh, Image.open(fh) as opened:
        small = ImageOps.exif_transpose(opened).convert("RGB")
        small.thumbnail((THUMB_SIDE, THUMB_SIDE))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80, optimize=True)
    if not default_storage.exists(name):  # two first looks at once: either one's file will do
        default_storage.save(name, ContentFile(out.getvalue()))
    return name


def taken(upload: Any, now: datetime) -> dict[str, Any]:
    """When and where a photo was taken, from what the phone sent beside it (``upload.jingwu_meta``): a time
    no later than now and not years old, a position that is a real one. Anything else is left out."""
    meta = getattr(upload, "jingwu_meta", None)
    if not isinstance(meta, dict):
        return {}
    out: dict[str, Any] = {}
    try:
        at = datetime.fromisoformat(str(meta.get("taken_at", "")).replace("Z", "+00:00"))
        if at.tzinfo is not None and now - timedelta(days=366) <= at <= now + timedelta(minutes=5):
            out["taken_at"] = at
    except ValueError:
        pass
    lon, lat = meta.get("lon"), meta.get("lat")
    if isinstance(lon, int | float) and isinstance(lat, int | float) and -180 <= lon <= 180 and -90 <= lat <= 90:
        out["taken_lon"], out["taken_lat"] = float(lon), float(lat)
    return out
