"""Crawling the application as a user: following the links of the pages shown, filling the routes of url_map."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, Rule

from tests.conftest import Client

LINK = re.compile(r'(?:href|src)="(/[^"#]*)')
PER_ENDPOINT = 2  # different URLs of one route crawled per role: enough for a list page and a filtered one
SKIP = {"static"}


def get_rules(app: Flask) -> list[Rule]:
    """Every route that answers GET, but the static files."""
    return [r for r in app.url_map.iter_rules() if r.methods and "GET" in r.methods and r.endpoint not in SKIP]


class Crawl:
    """What one role's crawl opened: the answer to each URL, and the arguments seen for each route."""

    def __init__(self, app: Flask, client: Client, languages: list[str]) -> None:
        self.app, self.client, self.languages = app, client, languages
        self.adapter = app.url_map.bind("localhost")
        self.status: dict[str, int] = {}
        self.pages: dict[str, str] = {}  # the HTML of every page that opened, by URL
        self.seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.urls: Counter[str] = Counter()
        self.wrong_language: list[tuple[str, str]] = []  # pages that opened in another language than the chosen

    def choose(self, language: str) -> None:
        """Switch the UI to `language` as the user would, with the switcher (it keeps the choice in the profile of
        a signed-in user, which beats the browser's language and, for a lecture hall, its academy's)."""
        self.language = language
        home = self.client.get("/", follow_redirects=True).get_data(as_text=True)  # every page has the switcher
        token = self.client._TOKEN.search(home)
        assert token is not None, "no switcher on the home page"
        form = {"language": language, "next": "/", "csrf_token": token.group(1)}
        response = self.client.post("/language", data=form)
        assert response.status_code == 302, response.status_code

    def get(self, url: str, language: str) -> int:
        if language != getattr(self, "language", None):
            self.choose(language)
        response = self.client.get(url, headers={"Accept-Language": language})
        status = response.status_code
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()  # a file sent from the store
        if page and status == 200 and f'<html lang="{language}">' not in page[:200]:
            self.wrong_language.append((url, language))
        if language != self.languages[0]:
            return status  # the links are the same in every language
        self.status[url] = status
        if status == 200 and page:
            self.pages[url] = page
            for link in LINK.findall(page):
                self.visit(link.replace("&amp;", "&"))
        elif status in (301, 302, 303) and response.location.startswith("/"):
            self.visit(response.location)
        return status

    def visit(self, url: str) -> None:
        if url in self.status:
            return
        try:
            endpoint, args = self.adapter.match(urlsplit(url).path, method="GET")
        except HTTPException:
            return
        if endpoint in SKIP or self.urls[endpoint] >= PER_ENDPOINT:
            return
        self.urls[endpoint] += 1
        if args not in self.seen[endpoint]:
            self.seen[endpoint].append(args)
        self.get(url, self.languages[0])


def seen_by_all(crawls: Iterable[Crawl]) -> dict[str, list[dict[str, Any]]]:
    """The arguments each route was seen with, in any of `crawls`."""
    seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for crawl in crawls:
        for endpoint, args in crawl.seen.items():
            seen[endpoint] += [a for a in args if a not in seen[endpoint]]
    return seen


def fill(app: Flask, rule: Rule, seen: dict[str, list[dict[str, Any]]]) -> list[str]:
    """URLs of `rule` with every parameter filled: the arguments a crawl saw for it, else ids seen under the same
    names elsewhere (1 where none was: a 404 is an answer too), and each choice of an `any(...)` part."""
    with app.test_request_context():
        if seen.get(rule.endpoint):
            return [url_for(rule.endpoint, **args) for args in seen[rule.endpoint]]
        values: dict[str, list[Any]] = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)
            else:
                values[name] = [next((a[name] for args in seen.values() for a in args if name in a), 1)]
        combos: list[dict[str, Any]] = [{}]
        for name, choices in values.items():
            combos = [{**c, name: v} for c in combos for v in choices]
        return [url_for(rule.endpoint, **c) for c in combos]


@dataclass
class Form:
    """A form of a page, as a browser would send it untouched: its action and its fields' values."""

    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, kind: input type or tag)

    def values(self, **changes: str) -> dict[str, list[str]]:
        data: dict[str, list[str]] = defaultdict(list)
        for name, value, kind in self.fields:
            if kind in ("checkbox", "radio") and name in data:
                continue  # one choice is enough
            data[name].append(changes.get(name, value))
        return dict(data)


class _FormParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = Form(a.get("action") or self.url)
            self.forms.append(self.form)
        elif self.form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file", "image", "reset"):
            self.form.fields.append((a["name"], a.get("value", ""), a.get("type", "text")))
        elif tag == "textarea":
            self.form.fields.append((a["name"], "", "textarea"))
        elif tag == "select":
            self.select = a["name"]
        if tag == "option" and self.select and self.form:
            chosen = [f for f in self.form.fields if f[0] == self.select]
            if "selected" in a or not chosen:  # the selected option, else the first
                self.form.fields = [f for f in self.form.fields if f not in chosen]
                self.form.fields.append((self.select, a.get("value", ""), "select"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def forms_of(url: str, page: str) -> list[Form]:
    """The POST forms of `page` (found at `url`)."""
    parser = _FormParser(url)
    parser.feed(page)
    return parser.forms
