"""The exam day that benchmarks/exam.py plays: every cadet signed in and on the quiz page before it opens, all of
them starting within `opening` seconds of its opening, answering each question after `think` seconds (drawn
evenly), changing an earlier answer now and then, and submitting in the last 10 s before the deadline; those not
done by then are finished by the deadline itself (the server closes their attempts with what they had saved).

One thread per cadet (they sleep most of the time), each on its own connection, opened again when the server has
closed an idle one, as a browser does. Cadet i talks to web instance i % len(ports), as nginx's sticky routing keeps
a browser on one instance.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._common import Browser

SUBMIT_WINDOW = 10.0  # most cadets submit in the last seconds before the deadline
CHANGE_SHARE = 0.15  # after this share of the questions, a cadet goes back and changes an earlier answer
GRACE_S = 10.0  # the server's grace after a deadline (attempts.services.GRACE): attempts are finished after it


@dataclass
class Cadet:
    username: str
    browser: Browser
    rng: random.Random
    token: str = ""
    attempt: int = 0
    seq: int = 0
    acknowledged: dict[int, tuple[int, int]] = field(default_factory=dict)  # position: (response, seq)
    timings: dict[str, list[float]] = field(default_factory=lambda: {"start": [], "save": [], "submit": []})
    errors: dict[str, list[str]] = field(default_factory=lambda: {"start": [], "save": [], "submit": []})
    submitted: bool = False
    answers: Browser | None = None  # the connection its saves go on, where nginx sends them to instances of their own


@dataclass
class Plan:
    course: int
    quiz: int
    questions: int
    choices: int
    think: tuple[float, float]
    opening: float = 2.0


def prepare(
    ports: Sequence[int], plan: Plan, usernames: Sequence[str], answer_ports: Sequence[int] = ()
) -> list[Cadet]:
    """Sign every cadet in and open the quiz page (its form's CSRF token), a few at a time: not measured. With
    `answer_ports`, each cadet's saves go there (deploy/nginx.conf's answers pool), with the same cookies."""

    def one(index: int) -> Cadet:
        cadet = Cadet(usernames[index], Browser(ports[index % len(ports)]), random.Random(usernames[index]))
        cadet.browser.sign_in(cadet.username)
        cadet.token = cadet.browser.csrf(f"/courses/{plan.course}/quizzes/{plan.quiz}")
        cadet.browser.conn.close()
        if answer_ports:
            cadet.answers = Browser(answer_ports[index % len(answer_ports)])
            cadet.answers.cookies = cadet.browser.cookies  # one browser, one cookie jar
        return cadet

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(len(usernames))))


def _timed(cadet: Cadet, phase: str, call: Callable[[], bool]) -> bool:
    """Time one step; it comes after a pause longer than gunicorn keeps an idle connection (2 s), so it opens a new
    one, as the browser does."""
    cadet.browser.conn.close()
    if cadet.answers is not None:
        cadet.answers.conn.close()
    began = time.perf_counter()
    try:
        ok = call()
    except (OSError, http.client.HTTPException) as exc:
        cadet.errors[phase].append(type(exc).__name__)
        return False
    if ok:
        cadet.timings[phase].append(time.perf_counter() - began)
    return ok


def _start(cadet: Cadet, plan: Plan) -> bool:
    """The Start button: the POST, then the attempt page it leads to."""
    status, headers, _ = cadet.browser.form(
        f"/courses/{plan.course}/quizzes/{plan.quiz}/start", {"csrf_token": cadet.token}
    )
    location = headers.get("location", "")
    if status != 302 or "/quizzes/attempts/" not in location:
        cadet.errors["start"].append(str(status))
        return False
    cadet.attempt = int(location.rstrip("/").rsplit("/", 1)[1])
    status, _, _ = cadet.browser.request("GET", location)
    if status != 200:
        cadet.errors["start"].append(f"page {status}")
    return status == 200


def _save(cadet: Cadet, plan: Plan, position: int) -> bool:
    response = cadet.rng.randrange(plan.choices)
    cadet.seq += 1
    seq = cadet.seq
    body = json.dumps({"position": position, "response": response, "seq": seq})
    headers = {"Content-Type": "application/json", "X-CSRFToken": cadet.token, "Accept": "application/json"}
    status, _, data = (cadet.answers or cadet.browser).request(
        "POST", f"/courses/{plan.course}/quizzes/attempts/{cadet.attempt}/answers", body, headers
    )
    if status == 200 and json.loads(data).get("seq") == seq:
        cadet.acknowledged[position] = (response, seq)
        return True
    cadet.errors["save"].append(str(status))
    return False


def _submit(cadet: Cadet, plan: Plan) -> bool:
    """The Submit button: quiz.js submits the attempt's form, which carries every choice made on the page."""
    chosen = {f"q{position}": str(response) for position, (response, _seq) in cadet.acknowledged.items()}
    status, _, _ = cadet.browser.form(
        f"/courses/{plan.course}/quizzes/attempts/{cadet.attempt}/submit", {"csrf_token": cadet.token, **chosen}
    )
    if status != 302:
        cadet.errors["submit"].append(str(status))
        return False
    cadet.submitted = True
    return True


def sit(cadet: Cadet, plan: Plan, opens: float, deadline: float) -> None:
    """One cadet's exam, on the clock of time.monotonic()."""
    rng = cadet.rng
    time.sleep(max(0.0, opens + rng.uniform(0, plan.opening) - time.monotonic()))
    if not _timed(cadet, "start", lambda: _start(cadet, plan)):
        return
    submit_at = deadline - rng.uniform(0.5, SUBMIT_WINDOW)
    for position in range(plan.questions):
        time.sleep(rng.uniform(*plan.think))
        if time.monotonic() > submit_at:
            return  # still answering at the deadline: the deadline finishes the attempt
        _timed(cadet, "save", lambda p=position: _save(cadet, plan, p))  # type: ignore[misc]
        if position and rng.random() < CHANGE_SHARE:
            time.sleep(rng.uniform(1, 3))
            earlier = rng.randrange(position)
            _timed(cadet, "save", lambda p=earlier: _save(cadet, plan, p))  # type: ignore[misc]
    time.sleep(max(0.0, submit_at - time.monotonic()))
    _timed(cadet, "submit", lambda: _submit(cadet, plan))


def duration(plan: Plan, share_done: float = 0.8) -> float:
    """Seconds from the opening to the deadline, so that about `share_done` of the cadets have answered every
    question by the last SUBMIT_WINDOW seconds (normal approximation of a sum of even draws)."""
    low, high = plan.think
    per = (low + high) / 2 + CHANGE_SHARE * 2
    sd = ((high - low) ** 2 / 12 * plan.questions) ** 0.5
    z = statistics.NormalDist().inv_cdf(share_done)
    return plan.opening + per * plan.questions + z * sd + SUBMIT_WINDOW


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def cpu_of_port(port: int) -> float:
    """CPU seconds (user + system) of the gunicorn processes serving `port`: its master and its worker."""
    tick = 100.0
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"127.0.0.1:{port}".encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def play(ports: Sequence[int], plan: Plan, cadets: list[Cadet], schedule: Callable[[float], None]) -> dict[str, float]:
    """The day itself: `schedule` is told in how many seconds the quiz closes (the server keeps that deadline)
    before the quiz opens. Returns the timings and counts (lost answers are checked by the caller)."""
    opens = time.monotonic() + 3.0
    deadline = opens + duration(plan)
    schedule(deadline - time.monotonic())
    threads = [
        threading.Thread(target=sit, args=(c, plan, opens, deadline), daemon=True, name=c.username) for c in cadets
    ]
    for thread in threads:
        thread.start()
    # CPU per save: over the answering alone, from when every cadet has started (a start and its page cost several
    # saves' worth) until the submits begin.
    time.sleep(max(0.0, opens + plan.opening - time.monotonic()))
    while not all(c.timings["start"] or c.errors["start"] for c in cadets) and time.monotonic() < deadline:
        time.sleep(0.5)
    saves0, cpu0 = sum(len(c.timings["save"]) for c in cadets), sum(cpu_of_port(p) for p in ports)
    time.sleep(max(0.0, deadline - SUBMIT_WINDOW - 5 - time.monotonic()))
    saves1, cpu1 = sum(len(c.timings["save"]) for c in cadets), sum(cpu_of_port(p) for p in ports)
    for thread in threads:
        thread.join()
    # Those still answering at the deadline: their attempts are finished when anyone next looks (here, themselves
    # on the quiz page), with what they had saved.
    time.sleep(max(0.0, deadline + GRACE_S + 1 - time.monotonic()))

    def look(cadet: Cadet) -> None:
        cadet.browser.conn.close()  # idle since the deadline: the server has closed it
        cadet.browser.request("GET", f"/courses/{plan.course}/quizzes/{plan.quiz}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(look, [c for c in cadets if c.attempt and not c.submitted]))
    for cadet in cadets:
        cadet.browser.close()
        if cadet.answers is not None:
            cadet.answers.close()
    result: dict[str, float] = {"seconds": deadline - opens}
    for phase in ("start", "save", "submit"):
        values = [x for c in cadets for x in c.timings[phase]]
        result[f"{phase} n"] = len(values)
        result[f"{phase} p50"] = 1000 * percentile(values, 0.5)
        result[f"{phase} p99"] = 1000 * percentile(values, 0.99)
        result[f"{phase} errors"] = sum(len(c.errors[phase]) for c in cadets)
    for phase in ("start", "save", "submit"):
        kinds = Counter(kind for c in cadets for kind in c.errors[phase])
        if kinds:  # a status code, or the exception that ended the request (a timeout after 120 s...)
            print(f"{phase} errors: {dict(kinds.most_common())}", file=sys.stderr)
    result["cpu ms/save"] = 1000 * (cpu1 - cpu0) / (saves1 - saves0) if saves1 > saves0 else float("nan")
    result["submitted"] = sum(c.submitted for c in cadets)
    return result


def opening_floor(ports: Sequence[int], plan: Plan, cadets: list[Cadet]) -> dict[str, float]:
    """The machine's own limit for the opening: every cadet makes, within the same `plan.opening` seconds, the two
    cheapest requests the web tier answers (/healthz: one database round trip, no template, no sign-in) where a
    start makes its POST and its page, each on a fresh connection as the start does. No start can beat this."""
    opens = time.monotonic() + 2.0

    def one(cadet: Cadet) -> None:
        time.sleep(max(0.0, opens + cadet.rng.uniform(0, plan.opening) - time.monotonic()))

        def twice() -> bool:
            return all(cadet.browser.request("GET", "/healthz")[0] == 200 for _ in range(2))

        _timed(cadet, "floor", twice)

    for cadet in cadets:
        cadet.timings["floor"], cadet.errors["floor"] = [], []
    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in cadets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = [x for c in cadets for x in c.timings["floor"]]
    return {
        "floor p50": 1000 * percentile(values, 0.5),
        "floor p99": 1000 * percentile(values, 0.99),
        "floor errors": sum(len(c.errors["floor"]) for c in cadets),
    }


def bare_cpu(ports: Sequence[int], cadets: list[Cadet], seconds: float = 20.0) -> dict[str, float]:
    """The machine's own limit for CPU per save: the web tier's CPU per bare request (/healthz: one database round
    trip, no sign-in, no template) at about the pace the cadets saved at, each on a fresh connection as a save after
    thinking is, sent where each cadet's saves went. No save can cost less."""
    began = time.monotonic() + 1.0
    done = [0]
    lock = threading.Lock()

    def one(cadet: Cadet) -> None:
        time.sleep(max(0.0, began + cadet.rng.uniform(0, seconds) - time.monotonic()))
        browser = cadet.answers or cadet.browser
        browser.conn.close()
        try:
            ok = browser.request("GET", "/healthz")[0] == 200
        except (OSError, http.client.HTTPException):
            ok = False
        with lock:
            done[0] += ok

    cpu0 = sum(cpu_of_port(p) for p in ports)
    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in cadets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu1 = sum(cpu_of_port(p) for p in ports)
    return {"bare cpu ms": 1000 * (cpu1 - cpu0) / done[0] if done[0] else float("nan")}
