"""The receiver reports a subscriber's browser sends, as the relay reads them into its link estimate
(Subscriber._reports): real RTCP packets, a subscriber without a connection."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket

from lectern.webrtc.relay.subscriber import Subscriber

AUDIO, VIDEO = 1111, 2222


def _track(kind: str, ssrc: int, rate: int) -> Any:
    return SimpleNamespace(
        kind=kind, packets=0, reported_packets=0, rewriter=SimpleNamespace(ssrc=ssrc, clock_rate=rate),
        round_trip=lambda lsr, dlsr: None, octets=0, padding_octets=0, source=None, red=False,
        versions={"main": object()}, select=lambda name: None,
    )  # fmt: skip


def _report(ssrc: int, lost: float) -> RtcpRrPacket:
    block = RtcpReceiverInfo(
        ssrc=ssrc, fraction_lost=round(lost * 256), packets_lost=0, highest_sequence=0, jitter=0, lsr=0, dlsr=0
    )
    return RtcpRrPacket(ssrc=1, reports=[block])


def test_a_paused_video_reporting_no_loss_does_not_hide_the_audio_loss() -> None:
    """A cadet's video is paused for the link: the browser goes on reporting it, nothing expected and nothing lost.
    Those reports must not average the audio's 12% loss away (the relay would think the link recovered)."""
    sub = Subscriber("cadet", pc=None, queue_size=10)  # type: ignore[arg-type]  # no connection needed here
    audio, video = _track("audio", AUDIO, 48000), _track("video", VIDEO, 90000)
    video.packets = 500  # sent before the pause
    sub._reports(video, _report(VIDEO, 0.0))
    for _ in range(10):
        audio.packets += 50
        sub._reports(audio, _report(AUDIO, 0.12))
        for _ in range(5):  # video reports come more often than audio ones
            sub._reports(video, _report(VIDEO, 0.0))
    assert sub.link.loss is not None and sub.link.loss > 0.1
    assert sub.audio_loss == 31 / 256  # 12%, as a receiver report carries it


def test_red_holds_through_a_clean_second_and_ends_when_the_loss_does() -> None:
    """A cadet losing 5% of its audio often has a second without a loss: its RED must not go off and on with each
    receiver report. It ends once the loss has stayed low."""
    sub = Subscriber("cadet", pc=None, queue_size=10)  # type: ignore[arg-type]  # no connection needed here
    audio = _track("audio", AUDIO, 48000)
    sub.tracks["audio"] = audio

    def second(lost: float) -> bool:
        audio.packets += 50
        sub._reports(audio, _report(AUDIO, lost))
        return bool(audio.red)

    assert [second(lost) for lost in (0.06, 0.04, 0.0, 0.06, 0.0, 0.0)] == [True] * 6
    assert not all(second(0.0) for _ in range(20))


def test_red_holds_on_a_5_percent_link_whose_reports_are_small() -> None:
    """Reports about a dozen packets each, from a link losing 5% at random: half of them show no loss at all. RED
    stays on throughout (averaged per report, a run of clean ones turned it off: the 256 kbps cadet lost RED in CI);
    its average comes near the link's loss, and the first reports bring RED within about 2 s."""
    rng = random.Random(7)  # noqa: S311 (a simulated link, not a secret)
    sub = Subscriber("cadet", pc=None, queue_size=10)  # type: ignore[arg-type]  # no connection needed here
    audio = _track("audio", AUDIO, 48000)
    sub.tracks["audio"] = audio
    sub._reports(audio, _report(AUDIO, 0.0))  # a clean start
    states = []
    for _ in range(1200):  # 12 packets every 0.24 s: almost 5 minutes
        audio.packets += 12
        lost = sum(rng.random() < 0.05 for _ in range(12))
        sub._reports(audio, _report(AUDIO, lost / 12))
        states.append(bool(audio.red))
    first = states.index(True)
    assert first <= 8, first  # within about 2 s
    assert all(states[first:]), f"RED went off {states[first:].count(False)} times out of {len(states) - first}"
    assert sub.audio_loss is not None and 0.03 < sub.audio_loss < 0.12
