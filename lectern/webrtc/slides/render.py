"""PDF pages rendered once to WebP images, kept on disk by the PDF's SHA-256 (no Flask, no database).

Each deck's folder, `<root>/<sha[:2]>/<sha>/`, holds `<width>/<page>.webp` for every width of WIDTHS and a
`deck.json` that says how many pages there are. It is written whole in a temporary folder and renamed into place,
so a folder that exists is complete: a broken PDF leaves nothing behind, and two requests that render the same PDF
at once keep one result. pypdfium2 (PDFium, Apache-2.0/BSD) renders, Pillow encodes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from lectern.domain import Invalid
from lectern.gate import outside_gate

# The page images' widths in pixels: one for a screen, one small enough for a weak link (about 20 kB a page of text).
LARGE, SMALL = 1280, 640
WIDTHS = (LARGE, SMALL)
# A page much taller than wide (a scroll) is rendered to at most this many widths of height.
MAX_ASPECT = 2
QUALITY = {LARGE: 75, SMALL: 70}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MANIFEST = "deck.json"


class SlidesReason(StrEnum):
    """Why a file cannot be shown as slides (raised as `lectern.domain.Invalid`, field "file", param `name`)."""

    NOT_PDF = "not_pdf"
    BROKEN = "broken"  # PDFium cannot read it, or it has no pages
    ENCRYPTED = "encrypted"  # it needs a password
    TOO_MANY_PAGES = "too_many_pages"  # param `limit`


@dataclass(frozen=True)
class Deck:
    """A rendered PDF: its SHA-256 and its number of pages."""

    sha256: str
    pages: int


class SlideCache:
    """Rendered decks under `root` (the file store's `slides` folder)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def folder(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256

    def image(self, sha256: str, width: int, page: int) -> Path:
        """Where a page's image is (or would be): pages count from 1."""
        return self.folder(sha256) / str(width) / f"{page}.webp"

    def deck(self, sha256: str) -> Deck | None:
        """The deck if it has been rendered, else None."""
        try:
            manifest = json.loads((self.folder(sha256) / _MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return Deck(sha256, int(manifest["pages"]))

    def prepare(self, source: Path, sha256: str, name: str, max_pages: int) -> Deck:
        """The deck of the PDF at `source` (whose content hash is `sha256`), rendered now unless it was before.
        Invalid (`SlidesReason`, field "file", `name`) for a file that is not a PDF PDFium can open without a
        password, that has no pages, or more than `max_pages`."""
        found = self.deck(sha256)
        if found is not None:
            return found
        final = self.folder(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{sha256}-", dir=final.parent))
        try:
            with outside_gate():  # seconds of PDFium, mostly without the interpreter lock: pages go on meanwhile
                pages = _render(source, work, name, max_pages)
            (work / _MANIFEST).write_text(json.dumps({"pages": pages, "widths": list(WIDTHS)}))
            try:
                os.rename(work, final)
            except OSError:
                if self.deck(sha256) is None:  # not another request's finished rendering: a real failure
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return Deck(sha256, pages)


def _open(source: Path, name: str) -> pdfium.PdfDocument:
    with source.open("rb") as fh:
        if fh.read(5) != b"%PDF-":
            raise Invalid(SlidesReason.NOT_PDF, field="file", name=name)
    try:
        return pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        # PDFium's last error can be left from an earlier document when a load fails without setting one: a
        # password is what it asks for only when the file has an encryption dictionary too.
        encrypted = "password" in str(exc).lower() and b"/Encrypt" in source.read_bytes()
        raise Invalid(SlidesReason.ENCRYPTED if encrypted else SlidesReason.BROKEN, field="file", name=name) from exc


def _render(source: Path, out: Path, name: str, max_pages: int) -> int:
    """Render every page of the PDF into `out`; return the number of pages."""
    document = _open(source, name)
    try:
        count = len(document)
        if count == 0:
            raise Invalid(SlidesReason.BROKEN, field="file", name=name)
        if count > max_pages:
            raise Invalid(SlidesReason.TOO_MANY_PAGES, field="file", name=name, limit=max_pages)
        for width in WIDTHS:
            (out / str(width)).mkdir()
        for index in range(count):
            _render_page(document, index, out, name)
    finally:
        document.close()
    return count


def _render_page(document: pdfium.PdfDocument, index: int, out: Path, name: str) -> None:
    try:
        page = document[index]
        try:
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                raise Invalid(SlidesReason.BROKEN, field="file", name=name)
            scale = min(LARGE / width, MAX_ASPECT * LARGE / height)
            bitmap = page.render(scale=scale, may_draw_forms=False)
            try:
                image = bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise Invalid(SlidesReason.BROKEN, field="file", name=name) from exc
    for size in WIDTHS:
        if image.width > size:
            shown = image.resize((size, max(1, round(image.height * size / image.width))), Image.Resampling.BILINEAR)
        else:
            shown = image
        shown.save(out / str(size) / f"{index + 1}.webp", "WEBP", quality=QUALITY[size], method=2)
