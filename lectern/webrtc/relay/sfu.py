"""Lectern's forwarding SFU on aiortc: lectures, publishers, subscribers and their peer connections.

asyncio + aiortc only, no Flask: the web side reaches this through `RelayClient` (api.py; inprocess.py runs it).
Every method of `Relay` runs on the relay's own event loop.

Offer/answer: the browser always offers and the relay answers, for publishers (sendonly audio+video) and
subscribers (recvonly audio+video) alike, so each join is one round trip. The relay gathers all its candidates
before answering (aiortc does not trickle); the browser may trickle its own through `add_ice_candidate`.

One publisher per lecture at a time; when it leaves, the next publisher's tracks feed the same subscriber tracks
(new SSRC epoch: timestamps continue, video restarts at a keyframe), so handing the floor over needs no
renegotiation with subscribers. Video is VP8 and audio Opus on both sides: forwarding cannot transcode.

Closing (a peer leaving, a lecture ending, the relay shutting down) first takes the peers out of the relay's
structures, then closes their connections all at once, each waited for at most `close_timeout`: one connection
whose close hangs or fails is logged and never holds up or stops the closing of the others. A close that times out
is not cancelled (aiortc would then never finish it) but goes on in the background; shutdown waits for it once more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import SessionDescription, candidate_from_sdp

from lectern.texts import N_
from lectern.webrtc.relay import seams
from lectern.webrtc.relay.api import FULL, RECEIVE_CHOICES, RelayError, RelayOptions
from lectern.webrtc.relay.forward import ALLOWED_CODECS, Source
from lectern.webrtc.relay.out_track import OutTrack
from lectern.webrtc.relay.pipe import FEEDS, Feeder, open_feed, watch
from lectern.webrtc.relay.record import Recorder, recording_dir
from lectern.webrtc.relay.subscriber import Subscriber

logger = logging.getLogger(__name__)

MAX_SDP_BYTES = 64 * 1024
KINDS = ("audio", "video")


class _SilentTrack(MediaStreamTrack):
    """Placeholder track for a subscriber's sender: the relay writes RTP itself, so aiortc's encoder loop must
    wait forever instead of producing frames (or polling every 20 ms, as it does with no track)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.get_running_loop().create_future()


class _JointRemb:
    """One REMB for a publisher's video versions: the main version's receiver sends the sum of both receivers'
    estimates (each estimates from its own stream); the low version's sends none (seams.hook_receiver_feedback)."""

    def __init__(self) -> None:
        self.low: tuple[int, float] | None = None  # the low version's last estimate, and when

    def feedback(self, name: str) -> Callable[[int], int | None]:
        def main(bitrate: int) -> int:
            low = self.low
            fresh = low is not None and asyncio.get_running_loop().time() - low[1] < 5.0
            return bitrate + (low[0] if low is not None and fresh else 0)

        def second(bitrate: int) -> None:
            self.low = (bitrate, asyncio.get_running_loop().time())

        return main if name == "video" else second


@dataclass
class _Publisher:
    peer_id: str
    pc: RTCPeerConnection
    sources: dict[str, Source] = field(default_factory=dict)
    remb: _JointRemb = field(default_factory=_JointRemb)
    # On an edge, the origin it pulls the lecture from (pipe.py), and its feeds' other connections.
    origin: str | None = None
    more_pcs: list[RTCPeerConnection] = field(default_factory=list)


@dataclass
class _Lecture:
    lecture_id: str
    publisher: _Publisher | None = None
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    # The same list object is shared with each Source, so the fan-out loop needs no lookups.
    fanout: list[Subscriber] = field(default_factory=list)
    recorder: Recorder | None = None  # while the lecture is recorded here (record.py)


# A publisher's sources by name: its audio, its (high) video and, when it sends a second video section, the low
# version of it. The first video section is the high version, the second the low one (static/js/lecture/peers.js).
VERSION_NAMES = {"video": "high", "video_low": "low"}


def _source_name(kind: str, sources: dict[str, Source]) -> str:
    """The name of a publisher's next source of this kind; RelayError beyond one audio and two video sections."""
    for name in ("audio",) if kind == "audio" else ("video", "video_low"):
        if name not in sources:
            return name
    raise RelayError(f"invalid SDP: too many {kind} sections")


def _fec_for(lecture: _Lecture) -> Callable[[], float]:
    """The loss the publisher's audio should be protected for: the worst its subscribers report (seams.py)."""

    def worst() -> float:
        return max((sub.audio_loss or 0.0 for sub in lecture.fanout), default=0.0)

    return worst


def parse_sdp(sdp: object) -> RTCSessionDescription:
    """Validate an offer from a browser; raise RelayError naming what is wrong."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise RelayError("invalid SDP: empty or not text")
    if len(sdp) > MAX_SDP_BYTES:
        raise RelayError("invalid SDP: too large")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc's parser raises whatever the bad line provokes
        raise RelayError(f"invalid SDP: {exc!r}") from exc
    if not parsed.media:
        raise RelayError("invalid SDP: no media sections")
    for media in parsed.media:
        if media.kind not in KINDS:
            raise RelayError(f"invalid SDP: unsupported media {media.kind!r}")
        if media.ice is None or media.ice.usernameFragment is None or not media.dtls or not media.dtls.fingerprints:
            raise RelayError(f"invalid SDP: media {media.kind!r} lacks ICE credentials or a DTLS fingerprint")
    return RTCSessionDescription(sdp=sdp, type="offer")


def _offered_codecs(sdp: str) -> dict[str, list[RTCRtpCodecParameters]]:
    """The codecs each media section of an offer (checked by `parse_sdp`) lists, by its mid."""
    return {media.rtp.muxId: list(media.rtp.codecs) for media in SessionDescription.parse(sdp).media}


class Relay:
    """The SFU. Create and use it on one event loop; `close()` closes every peer connection it made."""

    def __init__(self, options: RelayOptions | None = None) -> None:
        self.options = options or RelayOptions()
        problem = seams.direct_path_problem()
        if problem is not None:
            logger.warning("the relay forwards through aiortc's own send path (slower): %s", problem)
        # Whether subscribers may use the direct send path (seams.DirectRtpSender).
        self.direct_send = problem is None
        self.lectures: dict[str, _Lecture] = {}
        self._pcs: set[RTCPeerConnection] = set()
        # Closes that outlived `close_timeout`: they go on in the background, and shutdown waits for them once more.
        self._closing: set[asyncio.Task[None]] = set()
        # Connections whose answer (and so ICE gathering) is being made: a close waits for it (see `_close_pc`).
        self._answering: dict[RTCPeerConnection, asyncio.Future[None]] = {}
        self._shut = False  # close() was called: no new lecture, no new peer connection
        self._pulling: dict[str, asyncio.Future[None]] = {}  # lectures whose feeds are being made (`pull`)

    async def open_lecture(self, lecture_id: str) -> None:
        """Make a lecture room (idempotent)."""
        if self._shut:
            raise RelayError("relay is shut down")
        self.lectures.setdefault(lecture_id, _Lecture(lecture_id))

    async def close_lecture(self, lecture_id: str) -> None:
        """Disconnect everyone in a lecture and forget it (its recording ends)."""
        lecture = self.lectures.pop(lecture_id, None)
        if lecture is not None:
            await self._stop_recording(lecture)
            await self._close_pcs(self._detach_all(lecture))

    async def record(self, lecture_id: str, key: str | None) -> dict[str, Any] | None:
        """Start recording the lecture into `key` (a folder under RelayOptions.recordings, record.py), or with None
        stop it. Idempotent for the same key; another key ends the recording before and starts a new one. The
        recording's figures when one was stopped."""
        lecture = self._lecture(lecture_id)
        if key is not None:
            directory = recording_dir(self.options.recordings, key)
            if lecture.recorder is not None and lecture.recorder.directory == directory:
                return None
        stopped = await self._stop_recording(lecture)
        if key is not None:
            lecture.recorder = Recorder(directory, asyncio.get_running_loop())
            if lecture.publisher is not None:
                lecture.recorder.attach(lecture.publisher.peer_id, lecture.publisher.sources)
        return stopped

    async def _stop_recording(self, lecture: _Lecture) -> dict[str, Any] | None:
        recorder, lecture.recorder = lecture.recorder, None
        return recorder.stop() if recorder is not None else None

    async def publish(self, lecture_id: str, peer_id: str, offer_sdp: str) -> str:
        """Accept a publisher's offer (audio and/or video, sendonly) and return the relay's answer SDP."""
        lecture = self._lecture(lecture_id)
        if lecture.publisher is not None and lecture.publisher.origin is not None:
            # This relay was an edge of the lecture, and is now its origin (the old one is gone): its subscribers
            # go over to the publisher.
            await self._close_pcs(self._detach(lecture, lecture.publisher.peer_id))
        if lecture.publisher is not None:
            raise RelayError(f"lecture {lecture_id} already has a publisher")
        if peer_id in lecture.subscribers:
            raise RelayError(f"peer {peer_id} is subscribed; leave first")
        offer = parse_sdp(offer_sdp)
        offered = _offered_codecs(offer.sdp)
        pc = await self._new_pc(offer)
        publisher = _Publisher(peer_id, pc)
        try:
            for transceiver in pc.getTransceivers():
                codecs = seams.restrict_codecs(
                    transceiver, ALLOWED_CODECS, offered.get(transceiver.mid or ""), red_first=True
                )
                source = Source.of(
                    transceiver.kind, transceiver.receiver, codecs, self.options.keyframe_interval, lecture.fanout
                )
                name = _source_name(transceiver.kind, publisher.sources)
                transceiver.direction = "recvonly"
                if transceiver.kind == "audio":
                    seams.hook_receiver_feedback(transceiver.receiver, worst_loss=_fec_for(lecture))
                else:
                    seams.hook_receiver_feedback(transceiver.receiver, remb=publisher.remb.feedback(name))
                publisher.sources[name] = source
            answer = await self._answer(pc)
        except BaseException:
            await self._close_pc(pc)
            raise
        lecture.publisher = publisher
        if lecture.recorder is not None:
            lecture.recorder.attach(peer_id, publisher.sources)
        for sub in lecture.subscribers.values():
            self._attach(sub, publisher)
        return answer

    async def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str, feed: str | None = None) -> str:
        """Accept a subscriber's offer (recvonly audio and/or video) and return the relay's answer SDP.

        The subscriber's video starts with the kept keyframe, or the publisher's next one, which is requested now.
        `feed` ("high" or "low", pipe.py): the subscriber is an edge relay pulling that feed: every packet of it,
        unadapted, the audio as RED when the publisher sends RED; an edge is never refused for capacity.
        """
        lecture = self._lecture(lecture_id)
        if peer_id in lecture.subscribers or (lecture.publisher and lecture.publisher.peer_id == peer_id):
            raise RelayError(f"peer {peer_id} is already in lecture {lecture_id}")
        if feed is not None and feed not in FEEDS:
            raise RelayError(f"unknown feed: {feed!r}")
        capacity = self.options.capacity
        if feed is None and capacity is not None and self.load() >= capacity:
            raise RelayError(
                f"{FULL} ({capacity} subscribers)",
                N_("The lecture's relay is full: it takes no more participants now. Try again in a few minutes."),
            )
        offer = parse_sdp(offer_sdp)
        offered = _offered_codecs(offer.sdp)
        pc = await self._new_pc(offer)
        sub = Subscriber(peer_id, pc, self.options.queue_size, direct_send=self.direct_send)
        sub.adapter.adapt = self.options.adapt and feed is None
        if feed is not None:
            sub.feed, sub.choice = feed, "everything" if feed == "high" else "low"
        try:
            for transceiver in pc.getTransceivers():
                codecs = seams.restrict_codecs(transceiver, ALLOWED_CODECS, offered.get(transceiver.mid or ""))
                if not any(c.mimeType.lower() in ALLOWED_CODECS for c in codecs):
                    raise RelayError(f"invalid SDP: {transceiver.kind} needs {sorted(ALLOWED_CODECS)}")
                if transceiver.kind in sub.tracks:
                    raise RelayError(f"invalid SDP: more than one {transceiver.kind} section")
                transceiver.sender.replaceTrack(_SilentTrack(transceiver.kind))
                transceiver.direction = "sendonly"
                sub.tracks[transceiver.kind] = OutTrack.create(transceiver, self.options.history_size)
            answer = await self._answer(pc)
        except BaseException:
            await self._close_pc(pc)
            raise
        sub.start()
        lecture.subscribers[peer_id] = sub
        lecture.fanout.append(sub)
        if lecture.publisher is not None:
            self._attach(sub, lecture.publisher)
        return answer

    async def pull(self, lecture_id: str, origin: str, edge_id: str, feeder: Feeder) -> None:
        """Carry a lecture as an edge: pull each of its tracks once from the relay at `origin` (`feeder` asks it for
        a feed, pipe.py) and fan them out to this relay's subscribers as a publisher's. Idempotent for the same
        origin; a new origin (the old one is gone) replaces the old feeds, the subscribers staying. RelayError when
        the lecture's publisher is here (this relay is its origin) or the origin refuses."""
        if self._shut:
            raise RelayError("relay is shut down")
        lecture = self.lectures.setdefault(lecture_id, _Lecture(lecture_id))
        pending = self._pulling.get(lecture_id)
        if pending is not None:
            await asyncio.wait([pending])
        pub = lecture.publisher
        if pub is not None and pub.origin == origin:
            return
        if pub is not None and pub.origin is None:
            raise RelayError(f"lecture {lecture_id} is published here: this relay is its origin")
        pulling = self._pulling[lecture_id] = asyncio.get_running_loop().create_future()
        pcs: list[RTCPeerConnection] = []
        try:
            if pub is not None:
                await self._close_pcs(self._detach(lecture, pub.peer_id))
            sources: dict[str, Source] = {}
            for name in FEEDS:
                pc = self._pc()
                pcs.append(pc)
                made = await open_feed(
                    pc, self._prepare, feeder, f"edge:{edge_id}:{name}", name, self.options.keyframe_interval,
                    lecture.fanout, _fec_for(lecture),
                )  # fmt: skip
                sources.update(made)
            if self._shut or self.lectures.get(lecture_id) is not lecture:
                raise RelayError("the lecture closed while its feeds were made")
        except BaseException:
            await self._close_pcs(pcs)
            raise
        finally:
            del self._pulling[lecture_id]
            pulling.set_result(None)
        publisher = _Publisher(f"origin:{origin}", pcs[0], sources, origin=origin, more_pcs=pcs[1:])
        lecture.publisher = publisher
        low = sources.get("video_low")
        if low is not None:
            low.on_first = lambda: self._reattach(lecture, publisher)
        for sub in lecture.subscribers.values():
            self._attach(sub, publisher)
        for pc in pcs:
            watch(pc, lambda: self._origin_lost(lecture, publisher))
        logger.info("lecture %s: pulled from %s", lecture_id, origin)

    def _reattach(self, lecture: _Lecture, publisher: _Publisher) -> None:
        """The publisher's versions changed (an edge's low feed began to carry one): every subscriber afresh."""
        if lecture.publisher is publisher:
            for sub in lecture.subscribers.values():
                self._attach(sub, publisher)

    def _origin_lost(self, lecture: _Lecture, publisher: _Publisher) -> None:
        """A feed from the origin failed or closed: the edge stops carrying the lecture from it (its subscribers
        stay, waiting for a feed from the lecture's next origin, `pull`)."""
        if lecture.publisher is not publisher:
            return
        logger.warning("lecture %s: the feed from %s is lost", lecture.lecture_id, publisher.origin)
        task = asyncio.ensure_future(self._close_pcs(self._detach(lecture, publisher.peer_id)))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def load(self) -> int:
        """The subscribers this relay carries (edges pulling from it not counted): what its capacity counts."""
        return sum(1 for x in self.lectures.values() for sub in x.subscribers.values() if sub.feed is None)

    async def add_ice_candidate(
        self, lecture_id: str, peer_id: str, candidate: str, sdp_mid: str | None = None, sdp_mline_index: int = 0
    ) -> None:
        """Add a trickled remote ICE candidate (`candidate:...` line); an empty one means end of candidates."""
        pc = self._peer_pc(self._lecture(lecture_id), peer_id)
        if not candidate:
            return
        try:
            ice = candidate_from_sdp(candidate.removeprefix("candidate:"))
        except Exception as exc:
            raise RelayError(f"invalid ICE candidate: {exc!r}") from exc
        ice.sdpMid, ice.sdpMLineIndex = sdp_mid, sdp_mline_index
        await pc.addIceCandidate(ice)

    async def leave(self, lecture_id: str, peer_id: str) -> None:
        """Remove a publisher or subscriber and close its connection (unknown peers are ignored)."""
        lecture = self.lectures.get(lecture_id)
        if lecture is not None:
            await self._close_pcs(self._detach(lecture, peer_id))

    async def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        """What a subscriber asks to receive (api.RECEIVE_CHOICES); its audio goes on uninterrupted."""
        if choice not in RECEIVE_CHOICES:
            raise RelayError(f"unknown receive choice: {choice!r}")
        sub = self._lecture(lecture_id).subscribers.get(peer_id)
        if sub is None:
            raise RelayError(f"no such subscriber: {peer_id}")
        sub.receive(choice)

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        """The relay's view of a subscriber's link (RelayClient.link); None for an unknown one."""
        lecture = self.lectures.get(lecture_id)
        sub = lecture.subscribers.get(peer_id) if lecture is not None else None
        return sub.link_figures() if sub is not None else None

    def stats(self, lecture_id: str) -> dict[str, Any]:
        """Plain counters: the publisher's incoming packets and keyframe requests, and each subscriber's."""
        lecture = self._lecture(lecture_id)
        pub = lecture.publisher
        return {
            "lecture_id": lecture_id,
            "publisher": None
            if pub is None
            else {
                "peer_id": pub.peer_id,
                "tracks": {
                    k: {
                        "packets_received": s.packets_in,
                        "octets_received": s.octets_in,
                        "plis_sent": s.plis_sent,
                        "ssrc": s.ssrc,
                        "codec": s.mime,
                        "kept_keyframes_shown": s.kept_shown,
                    }
                    for k, s in pub.sources.items()
                },
            },
            "subscribers": {pid: sub.stats() for pid, sub in lecture.subscribers.items()},
            "recording": None if lecture.recorder is None else lecture.recorder.figures(),
        }

    async def close(self) -> None:
        """Close every lecture and every peer connection the relay made, all at once (see the module's docstring).
        From now on the relay opens no lecture and makes no connection: a page that lost its own to the shutdown and
        joins again would leave one open behind it."""
        self._shut = True
        pcs: list[RTCPeerConnection] = []
        while self.lectures:
            lecture = self.lectures.popitem()[1]
            await self._stop_recording(lecture)
            pcs += self._detach_all(lecture)
        await self._close_pcs([*pcs, *(pc for pc in self._pcs if pc not in pcs)])
        if self._closing:
            _done, stuck = await asyncio.wait(set(self._closing), timeout=self.options.close_timeout)
            if stuck:
                logger.error("relay shut down with %d peer connection(s) that never finished closing", len(stuck))

    # -- internals --

    def _lecture(self, lecture_id: str) -> _Lecture:
        lecture = self.lectures.get(lecture_id)
        if lecture is None:
            raise RelayError(f"no such lecture: {lecture_id}")
        return lecture

    def _peer_pc(self, lecture: _Lecture, peer_id: str) -> RTCPeerConnection:
        if lecture.publisher is not None and lecture.publisher.peer_id == peer_id:
            return lecture.publisher.pc
        sub = lecture.subscribers.get(peer_id)
        if sub is None:
            raise RelayError(f"no such peer: {peer_id}")
        return sub.pc

    def _pc(self) -> RTCPeerConnection:
        """A new peer connection of the relay's (closed with it)."""
        if self._shut:
            raise RelayError("relay is shut down")
        servers = [
            RTCIceServer(urls=s.urls, username=s.username, credential=s.credential) for s in self.options.ice_servers
        ]
        # max-bundle: every transceiver on the first one's transport from the start. With aiortc's default
        # ("balanced") a second video section of an offer is put on the first video section's transport before
        # BUNDLE moves that one to the audio's, and is left on the stopped transport: the low version never arrives.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self._pcs.add(pc)
        return pc

    def _prepare(self, pc: RTCPeerConnection) -> None:
        """Set up a connection's ICE once its transceivers exist, before it gathers."""
        if self.options.loopback_only:
            seams.allow_loopback(pc)
        seams.patient_consent(pc)  # a cadet 600 ms away would lose the relay after 30 s

    async def _new_pc(self, offer: RTCSessionDescription) -> RTCPeerConnection:
        pc = self._pc()
        try:
            await pc.setRemoteDescription(offer)
        except Exception as exc:
            await self._close_pc(pc)
            raise RelayError(f"invalid SDP: {exc!r}") from exc
        self._prepare(pc)
        seams.answer_as_dtls_server(pc)  # the first sound about 175 ms sooner on a 300 ms link
        return pc

    async def _answer(self, pc: RTCPeerConnection) -> str:
        answered = asyncio.get_running_loop().create_future()
        self._answering[pc] = answered
        try:
            await pc.setLocalDescription(await pc.createAnswer())
        except RelayError:
            raise
        except Exception as exc:
            raise RelayError(f"cannot answer offer: {exc!r}") from exc
        finally:
            del self._answering[pc]
            answered.set_result(None)
        if pc not in self._pcs:  # closed (a leave, the lecture's end, a shutdown) while it gathered
            raise RelayError("the connection was closed while it was being answered")
        return str(pc.localDescription.sdp)

    def _attach(self, sub: Subscriber, publisher: _Publisher) -> None:
        """Feed a subscriber from a publisher's sources: its choice and its link pick the version (subscriber.py).
        A video version asked for before DTLS is up waits for the keyframe the subscriber asks for when it connects."""
        versions: dict[str, dict[str, Source]] = {"audio": {}, "video": {}}
        for name, source in publisher.sources.items():
            if publisher.origin is not None and name == "video_low" and not source.packets_in:
                continue  # an edge's low feed: a version only once it carries one (the publisher may send none)
            versions[source.kind][VERSION_NAMES.get(name, "main")] = source
        # Cheapest first: the order the adapter climbs.
        versions["video"] = {n: versions["video"][n] for n in ("low", "high") if n in versions["video"]}
        for out in sub.tracks.values():
            if out.kind == "video":
                out.waiting_keyframe = True
        sub.attach(versions)

    def _detach(self, lecture: _Lecture, peer_id: str) -> list[RTCPeerConnection]:
        """Take a peer out of the lecture (nothing awaits, so nothing can interrupt it); its connection to close."""
        sub = lecture.subscribers.pop(peer_id, None)
        if sub is not None:
            lecture.fanout.remove(sub)
            sub.stop()
            return [sub.pc]
        pub = lecture.publisher
        if pub is not None and pub.peer_id == peer_id:
            lecture.publisher = None
            if lecture.recorder is not None:
                lecture.recorder.detach(pub.sources)
            for source in pub.sources.values():
                source.close()
            for other in lecture.subscribers.values():
                other.detach()
            return [pub.pc, *pub.more_pcs]
        return []

    def _detach_all(self, lecture: _Lecture) -> list[RTCPeerConnection]:
        peers = [*lecture.subscribers, *([lecture.publisher.peer_id] if lecture.publisher else [])]
        return [pc for peer_id in peers for pc in self._detach(lecture, peer_id)]

    async def _close_pcs(self, pcs: Iterable[RTCPeerConnection]) -> None:
        """Close connections concurrently; `_close_pc` never raises, so none can stop the others."""
        await asyncio.gather(*(self._close_pc(pc) for pc in pcs))

    async def _close_pc(self, pc: RTCPeerConnection) -> None:
        """Close one connection, waiting at most `close_timeout`; a failure or a timeout is logged.

        A connection still gathering its ICE candidates for the answer is closed once it has them: aioice keeps the
        sockets of a gathering under way out of reach of a close, and those would stay open behind it."""
        self._pcs.discard(pc)
        answering = self._answering.get(pc)
        if answering is not None:
            await asyncio.wait([answering], timeout=self.options.close_timeout)
        closing = asyncio.ensure_future(pc.close())
        self._closing.add(closing)
        closing.add_done_callback(self._closed)
        _done, pending = await asyncio.wait([closing], timeout=self.options.close_timeout)
        if pending:
            logger.warning(
                "a peer connection did not close within %.1f s; it goes on closing in the background",
                self.options.close_timeout,
            )

    def _closed(self, closing: asyncio.Task[None]) -> None:
        self._closing.discard(closing)
        if not closing.cancelled() and (error := closing.exception()) is not None:
            logger.error("closing a peer connection failed", exc_info=error)
