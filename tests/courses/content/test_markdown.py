"""Markdown made safe HTML (lectern/courses/content/markdown.py), each text rendered once per process."""

from __future__ import annotations

import hashlib

import pytest

from lectern.courses.content import markdown
from lectern.courses.content.markdown import render


def _kept(text: str) -> bool:
    return hashlib.sha256(text.encode()).digest() in markdown._rendered


def test_a_text_is_rendered_once_and_a_changed_text_anew() -> None:
    text = "# Passports\n\nCheck the **photo**.<script>alert(1)</script>"
    first = render(text)
    assert _kept(text)
    assert render(text) == first == "<h1>Passports</h1>\n<p>Check the <strong>photo</strong>.</p>\n"
    changed = text.replace("photo", "stamp")
    assert not _kept(changed)
    assert "<strong>stamp</strong>" in render(changed) and _kept(changed)


def test_the_rendered_texts_kept_stay_within_their_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "CACHE_BYTES", 8 * 1000)
    texts = [f"Lesson {n}: " + "word " * 150 for n in range(20)]  # about 800 bytes of HTML each
    for text in texts:
        render(text)
    assert markdown._rendered_bytes <= 8 * 1000
    assert _kept(texts[-1]) and not _kept(texts[0])
