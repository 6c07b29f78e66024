"""The relay as a process of its own (`flask lectern relay`), reached over its signed API (RemoteRelayClient): a real
subprocess, real aiortc peers on loopback. It refuses unsigned, forged and old requests; it carries a lecture from a
publisher to a subscriber; it stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from lectern.webrtc.relay import wire
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.remote import RemoteRelayClient
from tests.webrtc.conftest import new_pc, relay_environment, spawn_relay, start_publisher, start_subscriber, stop_relay

SECRET = "the relay's test secret"


@pytest.fixture(scope="module")
def relay_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`flask lectern relay` on a free loopback port; its URL, read from what it prints. One subscriber at most:
    the second is refused with the participant's sentence."""
    env = relay_environment(tmp_path_factory.mktemp("relay"), LECTERN_RELAY_SECRET=SECRET, LECTERN_RELAY_CAPACITY="1")
    process, url = spawn_relay(env)
    try:
        yield process, url
    finally:
        stop_relay(process)


def _post(url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_unsigned_forged_and_old_requests_are_refused(relay_process: tuple[subprocess.Popen[str], str]) -> None:
    _, url = relay_process
    path, body = "/v1/open_lecture", b'{"lecture_id": "L9"}'
    assert _post(url, path, body, {})[0] == 401
    assert _post(url, path, body, wire.sign("not the secret", "POST", path, body, time.time()))[0] == 401
    status, answer = _post(url, path, body, wire.sign(SECRET, "POST", path, body, time.time() - 120))
    assert (status, answer) == (401, {"error": "the request's signature has expired"})
    bad = b'{"lecture": "L9"}'
    status, answer = _post(url, path, bad, wire.sign(SECRET, "POST", path, bad, time.time()))
    assert status == 400 and "unknown arguments: lecture" in answer["error"]
    assert _post(url, path, body, wire.sign(SECRET, "POST", path, body, time.time())) == (200, {"result": None})
    client = RemoteRelayClient(url, SECRET)
    with pytest.raises(RelayError, match="no such lecture: nowhere"):
        client.stats("nowhere")  # the relay's refusal, as the in-process client raises it
    client.shutdown()


def test_a_lecture_goes_through_the_relay_process(relay_process: tuple[subprocess.Popen[str], str]) -> None:
    """An aiortc instructor publishes, an aiortc cadet subscribes, both through the web side's remote client: the
    cadet decodes the video and the audio, and the relay's statistics come back over the API."""
    _, url = relay_process
    client = RemoteRelayClient(url, SECRET)
    client.open_lecture("L1")

    async def scenario() -> tuple[int, int, dict]:
        publisher = await start_publisher(client, "L1")
        cadet = await start_subscriber(client, "L1", "cadet")
        deadline = time.monotonic() + 15
        while (not cadet.frames["video"] or not cadet.frames["audio"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        late = new_pc()
        late.addTransceiver("video", direction="recvonly")
        await late.setLocalDescription(await late.createOffer())
        with pytest.raises(RelayError, match="full") as refused:
            await asyncio.to_thread(client.subscribe, "L1", "late", late.localDescription.sdp)
        await late.close()
        text = refused.value.text  # the sentence crossed the wire as a sentence, to be translated where shown
        assert text is not None and text.msgid.startswith("The lecture's relay is full")
        stats = await asyncio.to_thread(client.stats, "L1")
        link = await asyncio.to_thread(client.link, "L1", "cadet")
        await asyncio.to_thread(client.leave, "L1", "cadet")
        await cadet.close()
        await publisher.pc.close()
        assert link is not None and link["video"] in ("high", "low")
        return len(cadet.frames["video"]), len(cadet.frames["audio"]), stats

    video, audio, stats = asyncio.run(scenario())
    assert video > 10 and audio > 25, (video, audio)
    assert stats["subscribers"]["cadet"]["packets_forwarded"] > 0
    client.close_lecture("L1")
    client.shutdown()


def test_the_relay_process_stops_on_sigterm(relay_process: tuple[subprocess.Popen[str], str]) -> None:
    process, url = relay_process
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    with pytest.raises(RelayError, match="did not answer"):
        RemoteRelayClient(url, SECRET, timeout=2).open_lecture("L2")
