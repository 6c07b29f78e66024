"""Every page that each role can reach, with the demo data, in every UI language: never a server error.

Demo users of each role (and an anonymous visitor) follow the links of the pages they are shown, from the home
page; then every GET route of `app.url_map` a crawl did not reach is opened too, its parameters filled with the ids
the crawls saw (or, for a route no page links to, any id of that name). Every page that opens is then fetched in
every language the application offers, so a new catalogue is crawled as soon as it is listed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lectern.platform.models import Role
from tests.conftest import DemoSite
from tests.crawling import Crawl, fill, get_rules, seen_by_all

SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")


def test_every_page_for_every_role_in_every_language(demo_site: DemoSite) -> None:
    app = demo_site.app
    languages = sorted(app.config["LANGUAGES"], key=lambda code: code != "en")
    assert {"en", "ru"} <= set(languages)
    # Two demo users of each role (where there are two: they see different courses and academies), and nobody.
    users = [None] + [name for role in Role for name in demo_site.by_role[role][:2]]
    crawls: dict[str | None, Crawl] = {}
    for user in users:
        crawl = crawls[user] = Crawl(app, demo_site.client(user), languages)
        crawl.visit("/")
    seen = seen_by_all(crawls.values())
    failures = []
    for user, crawl in crawls.items():
        for rule in get_rules(app):
            if rule.endpoint not in crawl.seen:
                for url in fill(app, rule, seen):
                    crawl.get(url, languages[0])
        failures += [(user, languages[0], url, s) for url, s in crawl.status.items() if s >= 500]
        opened = [url for url, status in crawl.status.items() if status == 200]
        for language in languages[1:]:
            failures += [(user, language, url, s) for url in opened if (s := crawl.get(url, language)) >= 500]
    assert not failures, "\n".join(f"{r} {lang} {url}: {s}" for r, lang, url, s in failures)
    # Each page in the language chosen: the switcher's choice beats the profile, the browser and the academy.
    wrong = [(user, *w) for user, crawl in crawls.items() for w in crawl.wrong_language]
    assert not wrong, wrong[:10]
    # Dates as the language writes them, with four-digit years: never "12/6/26" (lectern.platform.formatting).
    short = sorted({url for c in crawls.values() for url, page in c.pages.items() if SHORT_DATE.search(page)})
    assert not short, short
    opened = {c.adapter.match(urlsplit(u).path)[0] for c in crawls.values() for u, s in c.status.items() if s == 200}
    # The crawl gets deep: a quiz's statistics, a lesson, an attempt's review open for those who may see them.
    assert {"quiz_grades.statistics", "lessons.lesson", "quizzes.review"} <= opened
