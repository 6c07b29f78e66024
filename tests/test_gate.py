"""The request gate (lectern/gate.py): HTTP requests of a process take turns, and what waits on something slow lets
its turn go."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask

from lectern import gate
from lectern.gate import RequestGate, outside_gate
from lectern.platform.accounts import services as accounts
from lectern.webrtc.relay.remote import RemoteRelayClient
from tests import factories

LONG = 10.0  # how long a test waits for what should happen at once


class Inside:
    """How many requests are in the wrapped app now, and the most there were at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


def environ(body: bytes = b"", stream: Any = None, **extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST" if body or stream else "GET",
        "PATH_INFO": "/",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": stream or io.BytesIO(body),
        **extra,
    }


def call(app: Callable[..., Iterable[bytes]], env: dict[str, Any]) -> bytes:
    return b"".join(app(env, lambda *_args: None))


def in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_requests_take_turns() -> None:
    inside = Inside()
    release = threading.Event()

    def app(env: dict[str, Any], _start: Any) -> list[bytes]:
        inside.enter()
        release.wait(0.05)
        inside.leave()
        return [b"ok"]

    gated = RequestGate(app, slots=1, wait_s=LONG)
    threads = [in_thread(lambda: call(gated, environ())) for _ in range(4)]
    for thread in threads:
        thread.join(LONG)
    assert inside.most == 1


def test_two_slots_let_two_requests_in_at_once() -> None:
    inside = Inside()
    both = threading.Barrier(2, timeout=LONG)

    def app(env: dict[str, Any], _start: Any) -> list[bytes]:
        inside.enter()
        both.wait()
        inside.leave()
        return [b"ok"]

    gated = RequestGate(app, slots=2, wait_s=LONG)
    threads = [in_thread(lambda: call(gated, environ())) for _ in range(2)]
    for thread in threads:
        thread.join(LONG)
    assert inside.most == 2 and not both.broken


class Holder:
    """A request that holds its turn until `go` is set, and a way to see whether a second request got in meanwhile."""

    def __init__(self, slots: int = 1, wait_s: float = LONG, let_go: bool = False) -> None:
        self.entered, self.go, self.second_done = threading.Event(), threading.Event(), threading.Event()
        self.saw_second = False
        self.let_go = let_go

        def app(env: dict[str, Any], _start: Any) -> list[bytes]:
            if env["PATH_INFO"] == "/second":
                self.second_done.set()
                return [env["wsgi.input"].read()]
            self.entered.set()
            if self.let_go:
                with outside_gate():
                    self.saw_second = self.second_done.wait(LONG)
            else:
                self.saw_second = self.second_done.wait(LONG / 4)
            self.go.wait(LONG)
            return [b"first"]

        self.gate = RequestGate(app, slots=slots, wait_s=wait_s)
        self.thread = in_thread(lambda: call(self.gate, environ()))
        assert self.entered.wait(LONG)

    def second(self, **env: Any) -> bytes:
        return call(self.gate, {**environ(), "PATH_INFO": "/second", **env})

    def finish(self) -> None:
        self.go.set()
        self.thread.join(LONG)


def test_a_request_that_waits_on_something_slow_lets_the_others_run() -> None:
    holder = Holder(let_go=True)
    holder.second()
    holder.finish()
    assert holder.saw_second


def test_a_request_that_keeps_its_turn_holds_the_others_back() -> None:
    """The control of the test above: without `outside_gate` the second request gets in only once the first ends."""
    holder = Holder(let_go=False)
    in_thread(holder.second)
    assert not holder.second_done.wait(0.2)
    holder.finish()
    assert holder.second_done.wait(LONG) and not holder.saw_second


def test_no_request_waits_for_its_turn_longer_than_the_gate_s_wait() -> None:
    holder = Holder(wait_s=0.05)
    holder.second()  # returns while the first still holds its turn
    assert holder.second_done.is_set() and not holder.go.is_set()
    holder.finish()


class SlowBody(io.RawIOBase):
    """A request body that arrives only once `arrived` is set, as from a client on a slow link."""

    def __init__(self, data: bytes) -> None:
        self.data, self.arrived = data, threading.Event()

    def read(self, size: int = -1) -> bytes:
        assert self.arrived.wait(LONG)
        data, self.data = self.data, b""
        return data


def test_a_small_body_is_read_before_the_request_waits_for_its_turn() -> None:
    """A client on a slow link sending a form holds no turn while its body arrives."""
    inside = Inside()
    seen: list[bytes] = []

    def app(env: dict[str, Any], _start: Any) -> list[bytes]:
        inside.enter()
        seen.append(env["wsgi.input"].read())
        inside.leave()
        return [b"ok"]

    gated = RequestGate(app, slots=1, wait_s=LONG)
    body = SlowBody(b"answer=3")
    slow = in_thread(lambda: call(gated, environ(stream=body, CONTENT_LENGTH="8")))
    assert call(gated, environ(b"answer=1")) == b"ok"  # not held back by the slow one
    assert seen == [b"answer=1"]
    body.arrived.set()
    slow.join(LONG)
    assert seen == [b"answer=1", b"answer=3"] and inside.most == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"CONTENT_LENGTH": str(gate.BODY_LIMIT + 1)},
        {"HTTP_TRANSFER_ENCODING": "chunked"},
    ],
    ids=["large body", "chunked body"],
)
def test_an_upload_runs_beside_the_request_holding_the_turn(headers: dict[str, str]) -> None:
    """An upload is read from the client at its pace inside the app: it takes no turn (and holds none back)."""
    holder = Holder()
    holder.second(**headers)
    assert holder.second_done.is_set() and not holder.go.is_set()
    holder.finish()


def test_a_small_body_reaches_the_app_whole() -> None:
    def app(env: dict[str, Any], _start: Any) -> list[bytes]:
        return [env["wsgi.input"].read()]

    body = b"x" * gate.BODY_LIMIT
    assert call(RequestGate(app), environ(body)) == body


def test_outside_a_request_outside_gate_does_nothing() -> None:
    with outside_gate():
        pass


# The gate in the application.


def gate_of(app: Flask) -> RequestGate:
    wrapped: Any = app.wsgi_app
    while not isinstance(wrapped, RequestGate):
        wrapped = wrapped.wsgi_app
    return wrapped


class Held:
    """The page `/test/hold` holds its turn until `release` is set (at most `hold_s`); the gate waits long."""

    def __init__(self, app: Flask, hold_s: float) -> None:
        self.entered, self.release, self.done = threading.Event(), threading.Event(), threading.Event()
        self.released = False

        @app.route("/test/hold")
        def hold() -> str:
            self.entered.set()
            self.released = self.release.wait(hold_s)
            self.done.set()
            return "held"

        @app.route("/test/release")
        def release() -> str:
            self.release.set()
            return "released"

        gate_of(app).wait_s = LONG
        self.thread = in_thread(lambda: app.test_client().get("/test/hold"))
        assert self.entered.wait(LONG)


def test_the_application_s_pages_take_turns(app: Flask) -> None:
    held = Held(app, hold_s=0.3)
    assert app.test_client().get("/test/release").status_code == 200
    held.thread.join(LONG)
    assert not held.released  # the second page ran only once the first had given up waiting for it


def test_socket_io_does_not_wait_for_a_turn(app: Flask) -> None:
    """A WebSocket's thread stays in the app for the connection's life: Socket.IO's middleware wraps the gate."""
    held = Held(app, hold_s=LONG)
    response = app.test_client().get("/socket.io/?EIO=4&transport=polling")
    assert not held.done.is_set()
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("0{")
    held.release.set()
    held.thread.join(LONG)


def test_signing_in_lets_the_turn_go_while_the_password_is_hashed(
    app: Flask, client: Any, make: factories.Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scrypt takes about 100 ms without the interpreter lock: other pages go on meanwhile."""
    user = make.user(username="cadet1")
    page_done = threading.Event()
    checked = accounts.check_password_hash

    def another_page() -> None:
        if app.test_client().get("/healthz").status_code == 200:
            page_done.set()

    def slow_check(password_hash: str, password: str) -> bool:
        in_thread(another_page)
        assert page_done.wait(LONG / 2), "a page waited for the sign-in's hashing"
        return checked(password_hash, password)

    client.csrf_token()
    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    gate_of(app).wait_s = LONG
    assert client.login(user.username).status_code == 302
    assert page_done.is_set()


class SlowRelay(http.server.BaseHTTPRequestHandler):
    """A relay that answers once `answer` is set, and fails if that takes too long."""

    answer = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        answered = self.answer.wait(LONG / 2)
        body = b'{"result": null}' if answered else b'{"error": "not answered"}'
        self.send_response(200 if answered else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def test_a_call_to_a_relay_lets_the_turn_go(app: Flask) -> None:
    relay = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowRelay)
    in_thread(relay.serve_forever)
    client = RemoteRelayClient(f"http://127.0.0.1:{relay.server_address[1]}", "secret")
    SlowRelay.answer.clear()

    @app.route("/test/relay")
    def call_relay() -> str:
        client.open_lecture("1")
        return "called"

    @app.route("/test/answer")
    def answer() -> str:
        SlowRelay.answer.set()
        return "answered"

    gate_of(app).wait_s = LONG
    done: list[str] = []
    caller = in_thread(lambda: done.append(app.test_client().get("/test/relay").get_data(as_text=True)))
    try:
        assert app.test_client().get("/test/answer").status_code == 200
        caller.join(LONG)
    finally:
        client.shutdown()
        relay.shutdown()
        relay.server_close()
    assert done == ["called"]
