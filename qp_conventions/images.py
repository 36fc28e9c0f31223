"""The logos a territory puts at the top of its convention: PNG or JPEG files, read and
measured here (no imaging library: the size in pixels is in the first bytes)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Pixels, as the header gives them: a logo printed 10 cm wide at 300 dpi needs 1 200 × 600;
# a few compressed bytes can declare a billion, that Word and LibreOffice would decode.
MAX_PIXELS = 25_000_000


@dataclass(frozen=True)
class Image:
    name: str  # the file name as the territory file writes it
    data: bytes
    kind: str  # "png" or "jpeg": the part's extension and content type
    width: int  # pixels
    height: int


class ImageError(ValueError):
    """Why a file cannot be a logo, in French."""


def read_image(path: Path, name: str) -> Image:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageError(f"image introuvable : {path}") from None
    except OSError as exc:
        raise ImageError(f"image illisible : {path} ({exc.strerror})") from None
    if not path.is_file():
        raise ImageError(f"{path} n'est pas un fichier")
    if size > MAX_IMAGE_BYTES:
        megabytes = f"{size / 1024 / 1024:.1f}".replace(".", ",")
        raise ImageError(f"image trop lourde ({megabytes} Mo ; 2 Mo au plus) : {path} — "
                         "réduisez-la (un logo de 600 pixels de large suffit)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"image illisible : {path} ({exc.strerror})") from None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind, dimensions = "png", _png_size(data)
    elif data.startswith(b"\xff\xd8"):
        kind, dimensions = "jpeg", _jpeg_size(data)
    else:
        raise ImageError(f"{path} n'est pas une image PNG ou JPEG : enregistrez le logo "
                         "dans l'un de ces formats")
    if dimensions is None or 0 in dimensions:
        raise ImageError(f"image {kind.upper()} endommagée : {path}")
    width, height = dimensions
    if width * height > MAX_PIXELS:
        raise ImageError(f"image trop grande ({width} × {height} pixels, soit "
                         f"{_millions(width * height)} de pixels ; {_millions(MAX_PIXELS)} au "
                         f"plus) : {path} — réduisez-la (un logo de 600 pixels de large suffit)")
    return Image(name, data, kind, *dimensions)


def _millions(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".replace(".", ",").replace(",0", "") + " millions"


def _png_size(data: bytes) -> tuple[int, int] | None:
    # signature (8 bytes), then the IHDR chunk: length, type, width, height
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


# JPEG « start of frame » markers, which hold the size (not DHT C4, JPG C8, DAC CC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        if marker in _SOF:
            if position + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    return None
