"""Light pages on a 256 kbps link (issue 16): what a cadet's browser transfers for the pages a cadet uses most, on a
first visit and on a repeat visit, for this tree and for the tree before the change (git revision `--before`),
served side by side in the same run.

Fills a database (a course with a lesson and a published quiz of a few questions, a few more courses for the
catalogue, and two cadets, one for each tree so both see the same state), serves it with gunicorn as `make run`
does (`_common.server`) from this tree and from a worktree of `--before`, signs a cadet in, and loads each page in
Chromium (Playwright, headless) over the emulated "256 kbps / 300 ms / 5%" link of tests/links.py (`emulate`:
256 kbps each way, 150 ms of latency each way; the loss applies to WebRTC only). Pages:
- the cadet's home (`/`, which redirects a cadet to /learning: the redirect is counted);
- the catalogue (/courses/);
- a text lesson;
- the quiz's start page a cadet sees, and the attempt page after starting it (two rows: "a quiz page" is both the
  page that opens the quiz and the page the cadet answers on, with the quiz script).
First visit: a fresh browser context (empty cache) with the cadet's cookies. Repeat visit: the same context,
navigated to the same page again. Bytes are the sum of `encodedDataLength` of every response (Network.loadingFinished,
and the redirect's own response), headers included; requests are those that went to the network (not served from
the browser's cache); times are DOMContentLoaded and load from the navigation's start (Navigation Timing).

    .venv/bin/python benchmarks/pages.py [--database URL] [--before 711a69e] [--runs 1] [--verbose]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, sync_playwright

from benchmarks._common import PASSWORD, Browser, add_quiz, cookie_of, server, worktree
from tests.links import KBPS256, emulate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
QUESTIONS, CHOICES, COURSES = 5, 4, 12
FIRST_KB, REPEAT_KB = 100, 10  # the targets
TIMING = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return [n.domContentLoadedEventEnd, n.loadEventEnd];
}"""
WORDS = [
    "document", "security", "passport", "visa", "stamp", "forgery", "ultraviolet", "watermark", "hologram", "border",
    "crossing", "customs", "declaration", "risk", "analysis", "profiling", "vehicle", "cargo", "x-ray", "radiation",
    "migrant", "interview", "officer", "post", "shift", "report",
]  # fmt: skip


@dataclass(frozen=True)
class Site:
    course: int
    lesson: int
    quiz: int
    cadets: tuple[str, str]  # one for each tree


def generate(url: str) -> Site:
    """Fill an emptied database; return the ids the pages need."""
    import random

    import sqlalchemy as sa

    from lectern import create_app
    from lectern.courses.models import Course, Enrolment, Lesson, LessonKind, Module, Visibility
    from lectern.extensions import db
    from lectern.platform import demo
    from lectern.platform.accounts.services import hash_password
    from lectern.platform.models import Academy, Role, User

    rng = random.Random(16)

    def text(words: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(words))

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load(db.session)
        db.session.flush()
        academy = db.session.scalar(sa.select(Academy.id).order_by(Academy.id))
        courses = [
            Course(academy_id=academy, title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i + 1}",
                   summary=text(40), language="ru", tags=",border,", visibility=Visibility.ALL, self_enrol=True,
                   version=1)
            for i in range(COURSES)
        ]  # fmt: skip
        db.session.add_all(courses)
        db.session.flush()
        course = courses[0]
        module = Module(course_id=course.id, position=1, title="Module 1")
        db.session.add(module)
        db.session.flush()
        paragraphs = "\n\n".join(text(80) for _ in range(6))
        lesson = Lesson(module_id=module.id, position=1, kind=LessonKind.TEXT, title="Document checks",
                        body=f"## Document checks\n\n{paragraphs}")  # fmt: skip
        db.session.add(lesson)
        password = hash_password(PASSWORD)
        cadets = ("pagescadet0", "pagescadet1")
        for n, username in enumerate(cadets):
            user = User(academy_id=academy, username=username, first_name="Кадет", last_name=str(n), role=Role.CADET,
                        language="ru", password_hash=password, session_version=1, active=True)  # fmt: skip
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(course_id=course.id, user_id=user.id, method="manual"))
        questions = [
            (f"Question {n + 1}: {text(20)}?", [f"{text(6)} ({c})" for c in range(CHOICES)]) for n in range(QUESTIONS)
        ]
        quiz = add_quiz(db.session, course.id, "Document checks: test", questions)
        db.session.commit()
        site = Site(course.id, lesson.id, quiz.id, cadets)
        db.engine.dispose()
    return site


@dataclass
class Load:
    """One page load as the browser saw it."""

    kb: float
    requests: int
    dcl_s: float
    load_s: float


@dataclass
class Traffic:
    """What the browser's network layer did, from DevTools events, since `reset`."""

    sent: set[str] = field(default_factory=set)
    redirects: int = 0
    cached: set[str] = field(default_factory=set)
    bytes: int = 0
    verbose: bool = False  # print each response (status, bytes, URL) after each load
    log: list[str] = field(default_factory=list)
    _urls: dict[str, str] = field(default_factory=dict)
    _statuses: dict[str, int] = field(default_factory=dict)

    def reset(self) -> None:
        self.sent.clear()
        self.cached.clear()
        self.redirects = 0
        self.bytes = 0
        self.log.clear()

    def listen(self, cdp: Any) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict[str, Any]) -> None:
        self.sent.add(event["requestId"])
        if "redirectResponse" in event:  # the redirect's response gets no loadingFinished of its own
            self.redirects += 1
            redirect = event["redirectResponse"]
            self.bytes += int(redirect.get("encodedDataLength", 0))
            self.log.append(f"{redirect['status']} {int(redirect.get('encodedDataLength', 0)):>6} B  {redirect['url']}")
        self._urls[event["requestId"]] = event["request"]["url"]

    def _received(self, event: dict[str, Any]) -> None:
        response = event["response"]
        self._statuses[event["requestId"]] = int(response["status"])
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def _finished(self, event: dict[str, Any]) -> None:
        size, rid = int(event["encodedDataLength"]), event["requestId"]
        self.bytes += size
        where = " (cache)" if rid in self.cached else ""
        self.log.append(f"{self._statuses.get(rid, 0)} {size:>6} B  {self._urls.get(rid, '?')}{where}")

    @property
    def requests(self) -> int:
        return len(self.sent - self.cached) + self.redirects


def visit(page: Page, traffic: Traffic, url: str) -> Load:
    """Load `url` in `page` and wait until the network is quiet, so late requests are counted too."""
    traffic.reset()
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    dcl, load = page.evaluate(TIMING)
    if traffic.verbose:
        print(f"{url}: {traffic.bytes} B, {traffic.requests} requests", file=sys.stderr)
        for line in traffic.log:
            print(f"    {line}", file=sys.stderr)
    return Load(traffic.bytes / 1000, traffic.requests, dcl / 1000, load / 1000)


def first_and_repeat(chromium: Chromium, base: str, cookie: str, path: str, verbose: bool = False) -> tuple[Load, Load]:
    """A first visit in a fresh context (empty cache) with the cadet's cookies, then a repeat visit in it."""
    context = chromium.new_context()
    pairs = [c.strip().split("=", 1) for c in cookie.split(";")]
    context.add_cookies([{"name": name, "value": value, "url": base} for name, value in pairs])
    page = context.new_page()
    cdp = emulate(page, KBPS256)
    traffic = Traffic(verbose=verbose)
    traffic.listen(cdp)
    try:
        first = visit(page, traffic, base + path)
        repeat = visit(page, traffic, base + path)
    finally:
        context.close()
    return first, repeat


def start_attempt(port: int, username: str, site: Site) -> str:
    """Start the cadet's attempt as the quiz page's button does; the attempt page's path."""
    browser = Browser(port)
    browser.sign_in(username)
    page = f"/courses/{site.course}/quizzes/{site.quiz}"
    status, headers, _ = browser.form(page + "/start", {"csrf_token": browser.csrf(page)})
    browser.close()
    location = headers.get("location", "")
    assert status == 302 and "/quizzes/attempts/" in location, (status, location)
    return location.replace(f"http://127.0.0.1:{port}", "")


PAGES = ["cadet home (/)", "catalogue", "lesson", "quiz: start page", "quiz: attempt"]


def measure(
    chromium: Chromium, ports: dict[str, int], site: Site, attempts: dict[str, str], verbose: bool = False
) -> dict[tuple[str, str, str], Load]:
    """(tree, page, visit) -> Load. The trees take turns page by page, so drift on this shared machine hits both.
    Each tree's cadet starts the attempt after the start page is measured (on later runs that page offers to
    continue it, in both trees alike); `attempts` keeps each tree's attempt page across runs."""
    results: dict[tuple[str, str, str], Load] = {}
    cadets = dict(zip(ports, site.cadets, strict=True))
    cookies = {tree: cookie_of(port, cadets[tree]) for tree, port in ports.items()}
    paths = {
        "cadet home (/)": "/",
        "catalogue": "/courses/",
        "lesson": f"/courses/{site.course}/lessons/{site.lesson}",
        "quiz: start page": f"/courses/{site.course}/quizzes/{site.quiz}",
    }
    for name in PAGES:
        for tree, port in ports.items():
            if name == "quiz: attempt":
                if tree not in attempts:
                    attempts[tree] = start_attempt(port, cadets[tree], site)
                path = attempts[tree]
            else:
                path = paths[name]
            base = f"http://127.0.0.1:{port}"
            first, repeat = first_and_repeat(chromium, base, cookies[tree], path, verbose)
            results[tree, name, "first"], results[tree, name, "repeat"] = first, repeat
    return results


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median(x.kb for x in loads),
        round(statistics.median(x.requests for x in loads)),
        statistics.median(x.dcl_s for x in loads),
        statistics.median(x.load_s for x in loads),
    )


def report(runs: list[dict[tuple[str, str, str], Load]], before_rev: str) -> None:
    print(
        f"\nChromium over {KBPS256.name} (tests/links.py KBPS256, emulated); before = {before_rev}, after = this tree"
    )
    print(f"kB: bytes transferred, headers included; s: DOMContentLoaded/load; median of {len(runs)} run(s)")
    head = (
        f"{'page':<17} {'visit':<6} {'before kB':>9} {'after kB':>8} {'after/before':>12} {'before s':>11} "
        f"{'after s':>11} {'requests':>9}  target"
    )
    print(head)
    print("-" * len(head))
    for name in PAGES:
        for visit_kind, limit in (("first", FIRST_KB), ("repeat", REPEAT_KB)):
            b = median_load([r["before", name, visit_kind] for r in runs])
            a = median_load([r["after", name, visit_kind] for r in runs])

            def mark(load: Load) -> str:
                return "ok" if load.kb < limit else "MISSED"  # noqa: B023 (used at once)

            print(
                f"{name if visit_kind == 'first' else '':<17} {visit_kind:<6} {b.kb:>9.1f} {a.kb:>8.1f} "
                f"{a.kb / b.kb:>12.2f} {b.dcl_s:>5.2f}/{b.load_s:<5.2f} {a.dcl_s:>5.2f}/{a.load_s:<5.2f} "
                f"{b.requests:>3} -> {a.requests:<3} < {limit} kB: before {mark(b)}, after {mark(a)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database to fill (default: a temp SQLite)")
    parser.add_argument("--before", default="711a69e", help="git revision of the baseline (default: 711a69e)")
    parser.add_argument("--runs", type=int, default=1, help="measure every page this many times (median)")
    parser.add_argument("--verbose", action="store_true", help="list every response of every load (stderr)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lectern-bench-pages-"))
    url = args.database or f"sqlite:///{tmp / 'bench.db'}"
    started = time.perf_counter()
    try:
        site = generate(url)
        with (
            worktree(args.before) as before,
            server(url, tmp / "storage-before", root=before) as before_port,
            server(url, tmp / "storage-after") as after_port,
            sync_playwright() as playwright,
        ):
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            ports = {"before": before_port, "after": after_port}
            attempts: dict[str, str] = {}
            runs = [measure(chromium, ports, site, attempts, args.verbose) for _ in range(args.runs)]
            chromium.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(runs, args.before)
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
