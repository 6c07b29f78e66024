"""Question and feedback text to safe HTML, whatever format it was written in (GIFT's [markdown], [html],
[plain], [moodle]; Moodle XML's format attribute). Everything goes through the same sanitiser as lessons."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markupsafe import Markup, escape

from lectern.courses.content.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render

# An attempt page shows every question of the quiz with its choices, and on exam day every cadet opens the same ones
# at once: the same text is rendered once (rendering is a pure function of the text and its format).
CACHED = 4096


@lru_cache(maxsize=CACHED)
def text(value: str, fmt: str = "markdown") -> Markup:
    """Render question text, an answer or a feedback written in `fmt` as sanitised HTML."""
    if fmt == "markdown":
        return render(value)
    if fmt == "html":
        clean = nh3.clean(
            value or "",
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
        return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
    # plain and moodle (auto-format): the text as typed, line breaks kept.
    return Markup("<br>").join(escape(line) for line in (value or "").split("\n"))


@lru_cache(maxsize=CACHED)
def inline(value: str, fmt: str = "markdown") -> Markup:
    """Like `text`, for short items (choices, matching items): a single paragraph loses its <p> wrapper."""
    html = str(text(value, fmt)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)  # noqa: S704 - already sanitised
