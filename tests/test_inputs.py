"""Bad input is a 400 or a 404, never a 500: NUL characters and lone surrogates in any field, Unicode digits in any
id, JSON nested too deep. Sent to every form of every page and every id parameter of `app.url_map`, with the demo
data, as the demo users who see those forms."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from lectern import inputs
from lectern.platform.models import Role
from lectern.urls import IdConverter, parse_count, parse_id
from tests.conftest import DemoSite
from tests.crawling import Crawl, fill, forms_of, get_rules, seen_by_all

ROOT = Path(__file__).resolve().parents[1]
NUL = "a\x00b"
UNICODE_DIGITS = ["²", "١٢", "１２", "𝟙"]  # superscript two, Arabic-Indic, full-width and mathematical digits
# Every name the code reads as a query-string value, found in the code itself so that a new one is covered.
QUERY_NAMES = sorted(
    {
        name
        for path in (ROOT / "lectern").rglob("*.py")
        for name in re.findall(r'(?:arg_id|request\.args\.get(?:list)?)\("(\w+)"', path.read_text())
    }
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("2147483647", 2**31 - 1), ("0", None), ("2147483648", None), ("", None), (None, None)]
    + [(raw, None) for raw in [*UNICODE_DIGITS, " 12", "1_2", "+1", "-1", "1e3", "12\x00"]],
)
def test_ids_are_the_digits_0_to_9_only(raw, expected):
    assert parse_id(raw) == expected


def test_counts_stay_below_their_limit():
    assert parse_count("0", 10) == 0
    assert parse_count("9", 10) == 9
    assert parse_count("10", 10) is None
    assert parse_count("²", 10) is None


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("fine", None),
        ({"a": ["x", {"b": "y"}]}, None),
        (NUL, ""),
        ("\ud800", ""),
        ({"answer": "ok", "response": ["x", "y\x00"]}, "response.1"),
        ({"a\x00": "ok"}, "a\x00"),
        ({"matching": {"0": "\udfff"}}, "matching.0"),
    ],
)
def test_the_text_rule_names_the_first_bad_field(value, field):
    assert inputs.unstorable_field(value) == field


def test_a_bad_field_name_is_shown_without_the_bad_character():
    assert inputs.shown("a\x00b\ud800") == "a\ufffdb?"


def _crawls(demo_site: DemoSite) -> dict[str | None, Crawl]:
    """The pages that an administrator, the instructors and a cadet see, by user."""
    users = [*demo_site.by_role[Role.GLOBAL_ADMIN][:1], *demo_site.by_role[Role.INSTRUCTOR][:2]]
    users += demo_site.by_role[Role.CADET][:1]
    crawls = {}
    for user in [None, *users]:
        crawl = crawls[user] = Crawl(demo_site.app, demo_site.client(user), ["en"])
        crawl.visit("/")
    return crawls


@pytest.fixture(scope="module")
def crawls(demo_site: DemoSite) -> dict[str | None, Crawl]:
    return _crawls(demo_site)


def test_nul_in_any_field_of_any_form_is_a_400_naming_the_field(crawls):
    """Each field of each form of each page (the anonymous sign-in form included), sent as the page would send it
    with one field holding a NUL character: PostgreSQL refuses NUL in text, so this was a 500 there."""
    sent = 0
    for crawl in crawls.values():
        forms = {
            (f.action, tuple(n for n, _v, _k in f.fields)): f for u, p in crawl.pages.items() for f in forms_of(u, p)
        }
        for form in forms.values():
            for name in {n for n, _v, _k in form.fields if n != "csrf_token"}:
                response = crawl.client.post(form.action, data=form.values(**{name: NUL}))
                sent += 1
                assert response.status_code == 400, (form.action, name, response.status_code)
                assert f"“{name}”" in response.get_data(as_text=True), (form.action, name)
    assert sent > 100
    login = crawls[None].client.post("/login", data={"username": NUL, "password": "x"})
    assert login.status_code == 400


def test_nul_in_a_query_string_is_a_400(crawls):
    """(A lone surrogate cannot come this way: Werkzeug decodes its UTF-8 bytes as U+FFFD; JSON can send one.)"""
    response = crawls[None].client.get("/login?" + urlencode({"next": NUL}))
    assert response.status_code == 400
    assert "“next”" in response.get_data(as_text=True)
    admin = next(c for c in crawls.values() if "/admin/" in c.pages)
    assert admin.client.get("/admin/users?q=doc%00ument").status_code == 400


def test_unicode_digits_in_any_id_of_any_route_are_a_404(demo_site, crawls):
    """Every id in a path of url_map (GET and POST alike) written with digits int() refuses ("²") or reads ("١٢"):
    no route takes them."""
    app = demo_site.app
    admin = next(c for c in crawls.values() if "/admin/" in c.pages).client
    tried = 0
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IdConverter) for c in rule._converters.values()):
            continue
        for digits in UNICODE_DIGITS:
            path = rule.rule
            for name, converter in rule._converters.items():
                value = digits if isinstance(converter, IdConverter) else sorted(getattr(converter, "items", ["x"]))[0]
                path = re.sub(rf"<[^>]*:{name}>", value, path)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = admin.open(path, method=method)
                tried += 1
                assert response.status_code == 404, (method, path, response.status_code)
    assert tried > 200


def test_unicode_digits_in_any_query_string_id_are_never_a_500(demo_site, crawls):
    """Every page of every GET route, with every name the code reads from a query string set to Unicode digits."""
    app = demo_site.app
    seen = seen_by_all(crawls.values())
    query = "&".join(f"{name}=²" for name in QUERY_NAMES)
    assert {"academy", "cohort", "category", "course", "page"} <= set(QUERY_NAMES)
    for crawl in crawls.values():
        for rule in get_rules(app):
            for url in fill(app, rule, seen)[:1]:
                response = crawl.client.get(f"{url}?{query}")
                response.close()
                assert response.status_code < 500, (url, response.status_code)


def test_unicode_digits_in_every_id_field_of_every_form_are_never_a_500(crawls):
    """Each form posted with its hidden fields, choices and ticks (where forms carry ids) set to Unicode digits."""
    for crawl in crawls.values():
        for url, page in list(crawl.pages.items()):
            for form in forms_of(url, page):
                ids = {
                    n for n, _v, kind in form.fields if n != "csrf_token" and kind in ("hidden", "select", "checkbox")
                }
                if not ids:
                    continue  # a form of buttons only: sending it would do what it says
                response = crawl.client.post(form.action, data=form.values(**dict.fromkeys(ids, "²")))
                assert response.status_code < 500, (form.action, sorted(ids), response.status_code)


def _nested(depth: int) -> str:
    return '{"position": 0, "seq": 1, "response": ' + "[" * depth + "]" * depth + "}"


def test_json_nested_too_deep_is_a_400_before_any_view(demo_site, crawls):
    """Deeply nested JSON made json.loads raise RecursionError, before the answers endpoint checked whose attempt
    it was; the bound applies to every JSON body, at the edge."""
    app = demo_site.app
    seen = seen_by_all(crawls.values())
    cadet = crawls[demo_site.by_role[Role.CADET][0]].client
    token = cadet.csrf_token("/learning")
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    answers = next(r for r in app.url_map.iter_rules() if r.endpoint == "quizzes.save")
    urls = fill(app, answers, seen)
    for depth in (inputs.MAX_JSON_DEPTH + 1, 5_000, 100_000):
        for rule in app.url_map.iter_rules():
            if "POST" in rule.methods:
                for url in fill(app, rule, seen)[:1]:
                    response = cadet.post(url, data=_nested(depth), headers=headers)
                    assert response.status_code == 400, (url, depth, response.status_code)
        response = cadet.post(urls[0], data=_nested(depth), headers=headers)
        assert response.status_code == 400
        assert "nested" in response.json["error"]["message"]
    # Text that cannot be stored, in a JSON answer: the field is named.
    for text in ("a\u0000b", "\ud800"):
        body = json.dumps({"position": 0, "seq": 1, "response": [text]})
        response = cadet.post(urls[0], data=body, headers=headers)
        assert response.status_code == 400
        assert "“response.0”" in response.json["error"]["message"]
    too_large = cadet.post(urls[0], data=" " * (inputs.MAX_JSON_BYTES + 1), headers=headers)
    assert too_large.status_code == 413
