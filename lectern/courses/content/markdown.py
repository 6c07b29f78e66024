"""Markdown to safe HTML: markdown-it-py renders (CommonMark, tables, strikethrough), nh3 (ammonia) sanitises.

Instructors may write HTML inside Markdown; whatever they write, no script, event handler, style or foreign
frame survives, so a lesson can never run code in a cadet's browser.

Rendering a lesson costs more than the rest of its page, and every cadet opens the same lessons: the HTML of each
text is kept (by its SHA-256, so a changed lesson is simply another text) in a bounded cache of the process.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre",
    "s", "small", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "audio", "video", "source",  # the sounds and videos of imported Moodle questions
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "audio": {"src", "controls"},
    "video": {"src", "controls", "width", "height"},
    "source": {"src", "type"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}


CACHE_BYTES = 32 * 2**20  # of HTML kept, about 6,000 lessons of 5 KB
_rendered: OrderedDict[bytes, str] = OrderedDict()
_rendered_bytes = 0
_lock = threading.Lock()


def render(text: str) -> Markup:
    """Render Markdown `text` to sanitised HTML, safe to put in a page as it is (from the cache when this text was
    rendered before)."""
    global _rendered_bytes
    key = hashlib.sha256((text or "").encode("utf-8", "surrogatepass")).digest()
    with _lock:
        found = _rendered.get(key)
        if found is not None:
            _rendered.move_to_end(key)
            return Markup(found)  # noqa: S704 - sanitised when it was made, below
    html = _clean(text)
    with _lock:
        if key not in _rendered and len(html) <= CACHE_BYTES // 8:
            _rendered[key] = html
            _rendered_bytes += len(html)
            while _rendered_bytes > CACHE_BYTES:
                _old, dropped = _rendered.popitem(last=False)
                _rendered_bytes -= len(dropped)
    return Markup(html)  # noqa: S704 - sanitised by nh3 in _clean


def _clean(text: str) -> str:
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return str(clean)
