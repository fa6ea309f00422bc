"""Read carechain codes from what a person has: a PDF, a photo, a scanned page.

PDF pages are rasterised with poppler's `pdftoppm` (Debian `poppler-utils`), then every
image is decoded with zxing-cpp, which finds many codes on one page and copes with scale,
slight rotation and noise.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image

from carechain.errors import FieldInvalid

__all__ = ["codes_in_image", "codes_in_pdf", "read_codes"]

RASTER_DPI = 150
MAX_PIXELS = 80_000_000  # refuse decompression bombs before decoding


def codes_in_image(image: Image.Image) -> list[bytes]:
    """Return the bytes of every QR code in an image."""
    grey = image.convert("L")
    qr: Any = zxingcpp.BarcodeFormat.QRCode  # the stubs want a set; one format is one too
    found = zxingcpp.read_barcodes(grey, formats=qr)
    if not found:  # a photo's uneven light: try again binarised by zxing's other method
        found = zxingcpp.read_barcodes(grey, formats=qr,
                                       binarizer=zxingcpp.Binarizer.GlobalHistogram)
    return [bytes(b.bytes) for b in found if b.valid]


def codes_in_pdf(pdf: bytes, dpi: int = RASTER_DPI) -> list[bytes]:
    """Return the codes on every page of a PDF, rasterised at `dpi`."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise FieldInvalid("file", "reading a PDF needs pdftoppm (Debian package "
                           "poppler-utils); give a photo or scan of the page instead")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        done = subprocess.run([tool, "-r", str(dpi), "-png", str(source), str(Path(tmp) / "p")],
                              capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise FieldInvalid("file", "is not a PDF that can be read")
        out: list[bytes] = []
        for page in sorted(Path(tmp).glob("p*.png")):
            with Image.open(page) as image:
                out += codes_in_image(image)
        return out


def read_codes(files: Iterable[bytes]) -> list[bytes]:
    """Return the codes found in each file: a PDF, or an image Pillow opens."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    out: list[bytes] = []
    for i, data in enumerate(files, start=1):
        if data.startswith(b"%PDF"):
            out += codes_in_pdf(data)
            continue
        try:
            with Image.open(io.BytesIO(data)) as image:
                out += codes_in_image(image)
        except (OSError, Image.DecompressionBombError):
            raise FieldInvalid("file", f"file {i} is neither a PDF nor an image") from None
    return out
