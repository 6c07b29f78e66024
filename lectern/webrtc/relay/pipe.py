"""One stream per link: an edge relay pulls each track of a lecture once from its origin relay, whatever the number
of its own subscribers, and fans it out to them as if it were the publisher (sfu.py `Relay.pull`).

Between relays the media travels as it does to a browser: WebRTC (ICE, DTLS-SRTP, NACK, Sender Reports), the edge
offering and the origin answering (`Relay.subscribe` with a `feed`). Two connections per edge and lecture: the
"high" feed (audio and the best video) and the "low" feed (the low version of the video), so an edge's cadets on a
poor link still step down to the low version (adapt.py). The origin sends every packet of each, unadapted, the audio
as RED whenever the publisher sends it (the edge's lossy cadets then get it as RED, the others plain Opus).

Keyframe requests from an edge's cadets reach the origin as one request per `keyframe_interval` at most (each
edge Source holds them back as the origin's do), and a cadet joining an edge is shown the edge's kept keyframe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription

from lectern.webrtc.relay import seams
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.forward import RED_CODEC, Source

if TYPE_CHECKING:
    from lectern.webrtc.relay.subscriber import Subscriber

# An edge asks its origin for a lecture's feeds through this: (feed peer id, offer SDP, feed name) -> answer SDP.
Feeder = Callable[[str, str, str], Awaitable[str]]

# The feeds an edge pulls, and the sections each asks for: the high one's audio and video, the low one's video.
FEEDS: dict[str, tuple[str, ...]] = {"high": ("audio", "video"), "low": ("video",)}
# The edge's source names for what each feed's sections carry (sfu.VERSION_NAMES reads them).
SOURCE_NAMES = {("high", "audio"): "audio", ("high", "video"): "video", ("low", "video"): "video_low"}
# The payload type the edge offers RED under (aiortc knows no RED: it is written into the offer, seams.py).
RED_PT = 63


def offer_red(sdp: str) -> str:
    """The offer with RED (RFC 2198) around Opus added to its audio section, so that the origin sends the
    publisher's RED as it comes (aiortc's own offer has none)."""
    lines = sdp.split("\r\n")
    out: list[str] = []
    in_audio = False
    opus: str | None = None
    for line in lines:
        if line.startswith("m="):
            in_audio = line.startswith("m=audio")
            opus = None
        if in_audio and line.startswith("a=rtpmap:") and line.lower().split(" ", 1)[1].startswith("opus/"):
            opus = line.split(":", 1)[1].split(" ", 1)[0]
            out.append(line)
            out.append(f"a=rtpmap:{RED_PT} red/48000/2")
            out.append(f"a=fmtp:{RED_PT} {opus}/{opus}")
            continue
        out.append(line)
    # The payload type goes on the m-line too.
    text = "\r\n".join(out)
    head, sep, rest = text.partition("m=audio ")
    if not sep:
        return sdp
    m_line, nl, tail = rest.partition("\r\n")
    return f"{head}{sep}{m_line} {RED_PT}{nl}{tail}"


async def open_feed(
    pc: RTCPeerConnection,
    prepare: Callable[[RTCPeerConnection], None],
    feeder: Feeder,
    peer_id: str,
    name: str,
    keyframe_interval: float,
    fanout: list[Subscriber],
    worst_loss: Callable[[], float],
) -> dict[str, Source]:
    """Make one feed on `pc` (a new connection, which the caller closes on failure): offer its sections
    (recvonly; `prepare` sets up its ICE before it gathers), have the origin answer, and build a Source for each
    section, hooked to its receiver (sfu.py fans them out as a publisher's). The audio's receiver reports name the
    edge's subscribers' worst loss (`worst_loss`), as a relay's do to a publisher: the origin's report to the
    publisher then covers them too, and its Opus FEC with it. RelayError when the origin refuses."""
    for kind in FEEDS[name]:
        pc.addTransceiver(kind, direction="recvonly")
    prepare(pc)
    try:
        await pc.setLocalDescription(await pc.createOffer())
        offer = offer_red(pc.localDescription.sdp) if "audio" in FEEDS[name] else pc.localDescription.sdp
        answer = await feeder(peer_id, offer, name)
        parsed = SessionDescription.parse(answer)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    except RelayError:
        raise
    except Exception as exc:
        raise RelayError(f"the origin's {name} feed failed: {exc!r}") from exc
    codecs = {media.rtp.muxId: list(media.rtp.codecs) for media in parsed.media}
    sources: dict[str, Source] = {}
    for transceiver in pc.getTransceivers():
        answered = codecs.get(transceiver.mid or "", [])  # the origin's answer: aiortc's own lack RED
        source = Source.of(transceiver.kind, transceiver.receiver, answered, keyframe_interval, fanout)
        if transceiver.kind == "audio":
            for codec in answered:
                if codec.mimeType.lower() == RED_CODEC:
                    seams.receive_codec(transceiver.receiver, codec)
            seams.hook_receiver_feedback(transceiver.receiver, worst_loss=worst_loss)
        sources[SOURCE_NAMES[(name, transceiver.kind)]] = source
    return sources


def watch(pc: RTCPeerConnection, lost: Callable[[], None]) -> None:
    """Call `lost` once when a feed's connection fails or closes (the origin stopped, or dropped this edge)."""
    called = False

    @pc.on("connectionstatechange")
    def changed() -> None:
        nonlocal called
        if pc.connectionState in ("failed", "closed") and not called:
            called = True
            asyncio.get_running_loop().call_soon(lost)
