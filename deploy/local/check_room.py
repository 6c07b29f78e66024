"""The walk-through's last check (deploy/README.md): demo users in one lecture room over both web instances and nginx,
as browsers would be, and the lecture's media through both relays.

1. The room. The instructor's socket is on the first web instance and a cadet's on the second (each reached
   directly), the Bishkek lecture hall's through nginx, which starts on long-polling and upgrades to a WebSocket:
   that works only when nginx sends every request of the session to the same instance and passes what Socket.IO
   compares with the Origin. Each joins the demo's first lecture; the last to join must see all three (the room's
   participants are shared through Redis), and a chat message from the instructor must reach the other two
   (Socket.IO crosses instances through Redis).
2. The relays. The instructor publishes a synthetic camera and microphone (aiortc) through the first instance, the
   cadet (Bishkek, region "kg") receives through the second: the registry puts the lecture's origin on the relay of
   the lecture's region ("lv", Rezekne) and the cadet on the "kg" relay, an edge that pulls it from the origin. The
   cadet must decode a video frame.
3. A recording. The instructor records four seconds of the lecture: its origin relay writes the tracks into the
   shared storage, a job worker (the one a web instance started, on the Redis queue) makes the replay, and its file
   comes through nginx with a Range header (206).
4. A lesson file through nginx with a Range header: the app's own 206 Partial Content passes through.

    .venv/bin/python deploy/local/check_room.py http://127.0.0.1:8400 http://127.0.0.1:5010 http://127.0.0.1:5011

Run it in the walk-through's environment (REDIS_URL, LECTERN_RELAY_REGISTRY_KEY: it reads the registry too), with
`requests` and `websocket-client` in the virtualenv (python-socketio's client uses them). The three users' password
is WALK_PASSWORD (set with `flask lectern set-password`).
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import sys
import time
from typing import Any

import redis
import requests
import socketio
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from lectern.webrtc.relay.registry import RelayRegistry

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def sign_in(base: str, username: str, password: str) -> requests.Session:
    """A browser's session signed in through the login form at `base`."""
    http = requests.Session()
    page = http.get(base + "/login", timeout=10)
    page.raise_for_status()
    token = TOKEN.search(page.text)
    if token is None:
        raise SystemExit(f"no CSRF token on {base}/login")
    answer = http.post(
        base + "/login",
        data={"csrf_token": token.group(1), "username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not sign in at {base} ({answer.status_code}): is WALK_PASSWORD theirs?")
    return http


def first_lecture(base: str, http: requests.Session) -> int:
    """The first lecture on the user's home page (the demo's, ten minutes after the data was loaded)."""
    found = re.search(r'href="/lectures/(\d+)"', http.get(base + "/", timeout=10).text)
    if found is None:
        raise SystemExit("no lecture on the home page: was the demo data loaded?")
    return int(found.group(1))


class Page:
    """One participant's lecture page: its Socket.IO connection to /lecture."""

    def __init__(self, base: str, http: requests.Session, transports: list[str] | None) -> None:
        self.chat: queue.Queue[dict[str, Any]] = queue.Queue()
        self.socket = socketio.Client(reconnection=False, http_session=http)
        self.socket.on("chat", self.chat.put, namespace="/lecture")
        self.socket.connect(base, namespaces=["/lecture"], transports=transports, wait_timeout=10)

    def join(self, lecture_id: int) -> dict[str, Any]:
        reply: dict[str, Any] = self.socket.call("join", {"lecture": lecture_id}, namespace="/lecture", timeout=10)
        if not reply.get("ok"):
            raise SystemExit(f"join refused: {reply}")
        return reply

    def offer(self, event: str, sdp: str) -> str:
        """Send an offer for the lecture's main slot (`publish` or `subscribe`); the relay's answer."""
        reply = self.socket.call(event, {"slot": "main", "sdp": sdp}, namespace="/lecture", timeout=30)
        if not reply.get("ok"):
            raise SystemExit(f"{event} refused: {reply}")
        return str(reply["sdp"])


def check_room(pages: dict[str, Page], lecture_id: int) -> None:
    """Everyone sees everyone, and the chat reaches every instance."""
    for name, page in pages.items():
        reply = page.join(lecture_id)
        seen = len(reply["participants"])
        print(f"{name:<13} joined lecture {lecture_id} ({page.socket.transport()}): {seen} in the room")
    if pages["hall.bishkek"].socket.transport() != "websocket":
        # Socket.IO refused the upgrade (the instances' logs say "not an accepted origin"): nginx must pass Host
        # with its port ($http_host) and X-Forwarded-Proto, which Socket.IO compares with the browser's Origin.
        raise SystemExit("through nginx the connection stayed on long-polling: the WebSocket upgrade failed")
    if len(reply["participants"]) != 3:
        raise SystemExit(f"the last to join sees {reply['participants']}, not all three")
    if not pages["l.berzina"].socket.call("chat", {"text": "Hello from instance A"}, namespace="/lecture")["ok"]:
        raise SystemExit("the chat message was refused")
    for name in ("a.asanov", "hall.bishkek"):
        heard = pages[name].chat.get(timeout=10)
        print(f"{name:<13} heard the instructor's chat: {heard['text']!r}")


async def check_media(host: Page, cadet: Page, lecture_id: int) -> None:
    """The host publishes, the cadet receives a video frame; where the registry placed them."""
    config = RTCConfiguration(iceServers=[])  # never aiortc's default public STUN server
    publisher, subscriber = RTCPeerConnection(config), RTCPeerConnection(config)
    try:
        publisher.addTransceiver(VideoStreamTrack(), direction="sendonly")
        publisher.addTransceiver(AudioStreamTrack(), direction="sendonly")
        await publisher.setLocalDescription(await publisher.createOffer())
        answer = await asyncio.to_thread(host.offer, "publish", publisher.localDescription.sdp)
        await publisher.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

        frame: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        readers: list[asyncio.Task[None]] = []

        async def first_frame(track: MediaStreamTrack) -> None:
            got = await track.recv()
            if not frame.done():
                frame.set_result(got)

        @subscriber.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                readers.append(asyncio.ensure_future(first_frame(track)))

        subscriber.addTransceiver("video", direction="recvonly")
        subscriber.addTransceiver("audio", direction="recvonly")
        await subscriber.setLocalDescription(await subscriber.createOffer())
        answer = await asyncio.to_thread(cadet.offer, "subscribe", subscriber.localDescription.sdp)
        await subscriber.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        try:
            video = await asyncio.wait_for(frame, 20)
        except TimeoutError:
            raise SystemExit("the cadet received no video within 20 s") from None
        print(f"a.asanov      decoded the instructor's video: {video.width}x{video.height}")

        registry = RelayRegistry(
            redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2),
            os.environ.get("LECTERN_RELAY_REGISTRY_KEY", "lectern:relays"),
        )
        await asyncio.sleep(1.5)  # a beat or so: the loads the relays report
        origin = registry.placed(f"{lecture_id}:main")
        edges = {node.id for node in registry.edges(f"{lecture_id}:main")}
        for node in registry.nodes():
            role = "origin" if origin and node.id == origin.id else "edge" if node.id in edges else "-"
            print(f"relay {node.url} ({node.region or 'no region'}): {role}, {node.load} subscriber(s)")

        for on in (True, False):
            reply = await asyncio.to_thread(host.socket.call, "record", {"on": on}, namespace="/lecture", timeout=30)
            if not reply.get("ok"):
                raise SystemExit(f"the instructor could not {'start' if on else 'stop'} recording: {reply}")
            print(f"l.berzina     {'started' if on else 'stopped'} recording")
            if on:
                await asyncio.sleep(4.0)
    finally:
        await subscriber.close()
        await publisher.close()


def lesson_range(base: str, http: requests.Session, lecture_id: int) -> str:
    """A lesson file of the lecture's course fetched through `base` with `Range: bytes=0-99`: the app's 206 Partial
    Content, passed through."""
    course = re.search(r'href="/courses/(\d+)"', http.get(f"{base}/lectures/{lecture_id}", timeout=10).text)
    if course is None:
        raise SystemExit("no course link on the lecture's page")
    course_url = f"{base}/courses/{course.group(1)}"
    page = http.get(course_url, timeout=10).text
    for lesson in sorted(set(re.findall(rf'href="/courses/{course.group(1)}/lessons/(\d+)"', page)), key=int):
        url = f"{course_url}/lessons/{lesson}/file"
        answer = http.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
        if answer.status_code == 404:
            continue  # a lesson without a file
        if answer.status_code != 206 or len(answer.content) != 100:
            raise SystemExit(f"{url} with Range: bytes=0-99 answered {answer.status_code}, {len(answer.content)} bytes")
        return f"{url}: {answer.status_code} {answer.headers['Content-Range']}"
    raise SystemExit("no lesson of the course has a file")


def replay_range(base: str, http: requests.Session, lecture_id: int) -> str:
    """The recording's replay, once a worker has made it (its download appears on the lecture's page), fetched through
    `base` with `Range: bytes=0-99`."""
    for _ in range(90):
        page = http.get(f"{base}/lectures/{lecture_id}", timeout=10).text
        found = re.search(r'href="(/recordings/\d+/main)', page)
        if found:
            url = base + found.group(1)
            answer = http.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
            if answer.status_code != 206 or len(answer.content) != 100:
                raise SystemExit(f"{url} with Range: bytes=0-99 answered {answer.status_code}")
            return f"{url}: {answer.status_code} {answer.headers['Content-Range']}"
        if "could not be made" in page:
            raise SystemExit("the replay job failed: see the lecture's page")
        time.sleep(1)
    raise SystemExit("no replay within 90 s: is a job worker running?")


def main(nginx: str, web_a: str, web_b: str) -> None:
    password = os.environ.get("WALK_PASSWORD") or sys.exit("set WALK_PASSWORD (the demo users' password)")
    sessions = {  # the demo's first lecture: its host, a cadet, a lecture hall
        "l.berzina": (web_a, sign_in(web_a, "l.berzina", password), ["websocket"]),
        "a.asanov": (web_b, sign_in(web_b, "a.asanov", password), ["websocket"]),
        "hall.bishkek": (nginx, sign_in(nginx, "hall.bishkek", password), None),  # polling, then the upgrade
    }
    print(f"nginx set the routing cookie lectern_route={sessions['hall.bishkek'][1].cookies.get('lectern_route')}")
    lecture_id = first_lecture(web_b, sessions["a.asanov"][1])
    pages: dict[str, Page] = {}
    try:
        for name, (base, http, transports) in sessions.items():
            pages[name] = Page(base, http, transports)
            print(f"{name:<13} connected to {base}")
        check_room(pages, lecture_id)
        asyncio.run(check_media(pages["l.berzina"], pages["a.asanov"], lecture_id))
        print(f"the replay through nginx, {replay_range(nginx, sessions['l.berzina'][1], lecture_id)}")
        print(f"Range: bytes=0-99 through nginx, {lesson_range(nginx, sessions['a.asanov'][1], lecture_id)}")
    finally:
        for page in pages.values():
            page.socket.disconnect()
    print("OK: one lecture across both web instances, both relays and nginx, recorded and replayed")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:4])
