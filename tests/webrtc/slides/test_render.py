"""PDF pages rendered once to WebP at both widths, kept by the PDF's hash; files that cannot be shown refused by
name, with nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from lectern.domain import Invalid
from lectern.webrtc.slides.render import LARGE, SMALL, SlideCache, SlidesReason
from tests.webrtc.slides.pdfs import pdf

SHA = "ab" * 32


def write(tmp_path: Path, data: bytes, name: str = "deck.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_every_page_is_rendered_at_both_widths(tmp_path: Path) -> None:
    cache = SlideCache(tmp_path / "slides")
    deck = cache.prepare(write(tmp_path, pdf(3)), SHA, "deck.pdf", max_pages=10)
    assert deck.pages == 3 and cache.deck(SHA) == deck
    colours = []
    for page in (1, 2, 3):
        for width in (LARGE, SMALL):
            with Image.open(cache.image(SHA, width, page)) as image:
                assert image.format == "WEBP"
                assert image.size == (width, width * 3 // 4)  # the page's 4:3 kept
                colours.append(image.convert("RGB").getpixel((width // 20, image.height - width // 20 - 2)))
    # The coloured square of each page at its lower left corner, at both widths: red, green, blue.
    strongest = [max(range(3), key=colour.__getitem__) for colour in colours]
    assert strongest == [0, 0, 1, 1, 2, 2]


def test_a_deck_is_rendered_once(tmp_path: Path) -> None:
    cache = SlideCache(tmp_path / "slides")
    source = write(tmp_path, pdf(2))
    cache.prepare(source, SHA, "deck.pdf", max_pages=10)
    first = cache.image(SHA, LARGE, 2).stat()
    source.unlink()  # nothing to render from: the second call must not need it
    assert cache.prepare(source, SHA, "deck.pdf", max_pages=10).pages == 2
    again = cache.image(SHA, LARGE, 2).stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Hello, this is text", SlidesReason.NOT_PDF),
        (b"%PDF-1.4\nnothing of a PDF after its header\n", SlidesReason.BROKEN),
        (pdf(2, encrypt=True), SlidesReason.ENCRYPTED),
        (pdf(0), SlidesReason.BROKEN),
        (pdf(6), SlidesReason.TOO_MANY_PAGES),
    ],
)
def test_files_that_cannot_be_shown_are_refused_and_nothing_is_kept(
    tmp_path: Path, data: bytes, reason: SlidesReason
) -> None:
    cache = SlideCache(tmp_path / "slides")
    with pytest.raises(Invalid) as refused:
        cache.prepare(write(tmp_path, data), SHA, "Lecture 3.pdf", max_pages=5)
    assert refused.value.reason is reason
    assert refused.value.field == "file" and refused.value.params["name"] == "Lecture 3.pdf"
    assert cache.deck(SHA) is None
    assert list((tmp_path / "slides").rglob("*")) in ([], [tmp_path / "slides" / "ab"])
