"""The per-subscriber link estimate and video level (relay/adapt.py): pure logic driven with report figures."""

from __future__ import annotations

import itertools
import random

from lectern.webrtc.relay.adapt import (
    BACKOFF_S,
    LOSS_CONGESTED,
    PROBE_BURST_S,
    TRIAL_HOLD_S,
    Adapter,
    LinkEstimate,
    ProbePacer,
)

KBPS = 1000.0


def _link(loss: float = 0.0, remb: float | None = None, sent: float = 200 * KBPS, rtt: float = 50.0) -> LinkEstimate:
    link = LinkEstimate(sent_bps=sent)
    link.report(loss, 5.0, rtt)
    if remb is not None:
        link.remb(remb, 0.0)
    return link


def _run(adapter: Adapter, link: LinkEstimate, start: float, seconds: float) -> list[str | None]:
    """Decide once a second (the pace of a browser's video receiver reports); the versions chosen."""
    chosen = []
    for step in range(int(seconds)):
        now = start + step
        link.remb_at = now if link.remb_bps is not None else link.remb_at
        chosen.append(adapter.decide(link, now))
    return chosen


def test_a_subscriber_starts_on_the_cheapest_version_and_climbs_on_a_quiet_link() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    assert adapter.version() == "low"
    chosen = _run(adapter, _link(remb=600 * KBPS), 1.0, 8)
    assert chosen[0] == "low"
    assert chosen[-1] == "high"
    assert chosen.index("high") >= TRIAL_HOLD_S - 1  # not before a quiet spell
    assert adapter.reason is None


def test_random_loss_under_the_congestion_threshold_keeps_the_low_version() -> None:
    """256 kbps with 5% loss: neither congested nor quiet, so the low version stays (no trial of the high one)."""
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    assert set(_run(adapter, _link(loss=0.05, remb=280 * KBPS, sent=190 * KBPS), 1.0, 60)) == {"low"}


def test_congestion_pauses_the_video_and_says_why() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    link = _link(loss=0.15, remb=110 * KBPS, sent=190 * KBPS)
    chosen = _run(adapter, link, 1.0, 4)
    assert chosen[0] == "low"  # one congested report is not enough
    assert chosen[-1] is None
    assert adapter.reason == "link"
    assert link.estimate_bps(4.0) == 110 * KBPS


def test_a_growing_round_trip_is_congestion_too() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    link = _link(rtt=80.0)
    link.report(0.0, 5.0, 500.0)  # queues building: 420 ms over the best round trip
    assert _run(adapter, link, 1.0, 3)[-1] is None


def test_failed_attempts_to_go_up_wait_longer_each_time() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    quiet, full = _link(remb=500 * KBPS), _link(loss=0.2, remb=100 * KBPS)
    raised = []
    now = 1.0
    for _attempt in range(3):
        while adapter.decide(quiet, now) != "high":
            quiet.remb_at = now
            now += 1
        raised.append(now)
        while adapter.decide(full, now) != "low":
            full.remb_at = now
            now += 1
    gaps = [b - a for a, b in itertools.pairwise(raised)]
    assert gaps[1] > gaps[0] >= BACKOFF_S[0]


def test_a_paused_video_comes_back_when_the_link_recovers() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    _run(adapter, _link(loss=0.3, remb=60 * KBPS), 1.0, 3)
    assert adapter.version() is None
    assert "low" in _run(adapter, _link(loss=0.0, remb=300 * KBPS, sent=50 * KBPS), 4.0, 40)


def test_the_choice_caps_the_version_and_audio_only_means_no_video() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    adapter.set_ceiling(None, 0.5)
    assert adapter.version() is None
    assert adapter.reason is None  # the cadet's own choice, not the link
    adapter.set_ceiling("low", 1.0)
    assert adapter.version() == "low"
    assert set(_run(adapter, _link(remb=5000 * KBPS), 2.0, 30)) == {"low"}
    adapter.set_ceiling("high", 40.0)
    assert _run(adapter, _link(remb=5000 * KBPS), 41.0, 10)[-1] == "high"


def test_without_adaptation_everyone_gets_the_best_version() -> None:
    adapter = Adapter(adapt=False)
    adapter.start(("low", "high"), 0.0)
    assert adapter.version() == "high"
    assert set(_run(adapter, _link(loss=0.5, remb=10 * KBPS), 1.0, 10)) == {"high"}


def test_a_publisher_with_one_version_is_sent_or_paused() -> None:
    adapter = Adapter()
    adapter.start(("high",), 0.0)
    assert adapter.version() == "high"
    assert _run(adapter, _link(loss=0.3), 1.0, 3)[-1] is None


def test_one_rtcp_packet_seen_by_two_tracks_is_one_report() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    link = _link(loss=0.3)
    for now in (1.0, 1.0, 1.1):  # the audio and the video sender each get the compound packet
        assert adapter.decide(link, now) == "low"
    assert adapter.decide(link, 2.0) is None


def test_a_climbing_remb_under_what_is_sent_is_not_congestion_but_a_sharp_fall_is() -> None:
    """After a move up a browser's REMB climbs about 8% a second from what it received before: no reason to go
    back down. On overuse it falls to 85% of what it receives: congestion."""
    link = LinkEstimate(sent_bps=900 * KBPS)
    link.report(0.0, 5.0, 40.0)
    for second in range(5):
        link.remb(300 * KBPS * 1.08**second, float(second))
        assert not link.congested(float(second))
    link.remb(0.85 * 700 * KBPS, 5.0)
    link.remb(0.85 * 700 * KBPS, 5.5)
    link.sent_bps = 700 * KBPS
    link.remb(0.85 * 400 * KBPS, 6.0)
    assert link.congested(6.0)


def test_a_trial_that_congests_ends_at_once_and_the_drain_is_not_counted() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    quiet = _link(remb=500 * KBPS)
    now = 1.0
    while adapter.decide(quiet, now) != "high":
        quiet.remb_at = now
        now += 1
    congested = _link(rtt=50.0)
    congested.report(0.0, 5.0, 900.0)  # the high version filled the queue
    assert adapter.decide(congested, now + 1) == "low"  # one report ends a trial
    # The queue drains for a few seconds: still congested by the figures, but the low version stays.
    assert adapter.decide(congested, now + 2) == "low"
    assert adapter.decide(congested, now + 3) == "low"
    assert adapter.failures == 1


def test_going_up_waits_for_a_probe_to_show_room_for_the_next_level() -> None:
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    needs = {1: 200 * KBPS, 2: 900 * KBPS}
    link = _link(remb=300 * KBPS, sent=200 * KBPS)
    now = 1.0
    while adapter.probe_target is None:
        assert adapter.decide(link, now, needs, can_probe=True) == "low"
        link.remb_at = now
        now += 1
    assert adapter.probe_target == 900 * KBPS
    # The REMB climbs as the probe raises what the subscriber receives; the high version only once it has room.
    for remb in (400, 550, 700, 850):
        link.remb(remb * KBPS, now)
        assert adapter.decide(link, now, needs, can_probe=True) == "low"
        now += 1
    link.remb(950 * KBPS, now)
    assert adapter.decide(link, now, needs, can_probe=True) == "high"
    assert adapter.probe_target is None and adapter.failures == 0


def test_a_probe_that_fills_the_link_ends_without_moving_up() -> None:
    """256 kbps: the REMB climbs with the probe until the link fills; it falls, the probe ends, the low version
    stays and the next probe waits its back-off."""
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    needs = {1: 200 * KBPS, 2: 900 * KBPS}
    link = _link(remb=280 * KBPS, sent=190 * KBPS)
    now = 1.0
    while adapter.probe_target is None:
        adapter.decide(link, now, needs, can_probe=True)
        link.remb_at = now
        now += 1
    link.remb(290 * KBPS, now)
    adapter.decide(link, now, needs, can_probe=True)
    link.sent_bps = 280 * KBPS  # the probe at the REMB
    link.remb(0.85 * 250 * KBPS, now + 1)  # overuse: 85% of what arrives
    assert adapter.decide(link, now + 1, needs, can_probe=True) == "low"
    assert adapter.probe_target is None and adapter.failures == 1
    assert adapter.version() == "low"


def test_a_remb_held_under_what_is_sent_is_congestion() -> None:
    """A cadet who joins on 128 kbps: the cheapest version with the sound fills the link from the first packet, so
    the browser's first REMB is already low and never falls; it stays put under what the relay sends. That is the
    browser's overuse detector holding its estimate: the video pauses within seconds, not when the queue shows."""
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    link = _link(sent=165 * KBPS, rtt=1000.0)  # the first round trip already has a queue in it: no growth to see
    chosen = []
    for step in range(8):
        now = 1.0 + step * 0.5
        link.remb(64 * KBPS, now)
        chosen.append(adapter.decide(link, now))
    assert chosen[0] == "low"
    assert chosen[-1] is None and adapter.reason == "link"
    assert adapter.history[-1][2] == "remb"


def test_a_remb_under_what_is_sent_that_climbs_is_not_held() -> None:
    link = LinkEstimate(sent_bps=165 * KBPS)
    link.report(0.0, 5.0, 40.0)
    for step in range(10):
        link.remb(100 * KBPS * 1.04**step, step * 0.5)  # about 8% a second
        assert not link.congested(step * 0.5)


def test_a_playing_video_is_not_probed_before_the_first_remb() -> None:
    """Before its first REMB nothing says what a new subscriber's link takes: probes on top of the cheapest version
    could only deepen a queue it may already be building."""
    adapter = Adapter()
    adapter.start(("low", "high"), 0.0)
    needs = {1: 200 * KBPS, 2: 900 * KBPS}
    link = _link(sent=165 * KBPS)
    for step in range(10):
        adapter.decide(link, 1.0 + step, needs, can_probe=True)
        assert adapter.probe_target is None
    link.remb(300 * KBPS, 11.0)
    adapter.decide(link, 11.0, needs, can_probe=True)
    assert adapter.probe_target == 900 * KBPS


def test_reports_about_a_stream_that_carried_nothing_leave_the_loss_alone() -> None:
    link = LinkEstimate()
    link.report(0.12, 5.0, 300.0)
    for _ in range(20):  # the paused video's reports: nothing expected, nothing lost
        link.report(None, 5.0, 300.0)
    assert link.loss == 0.12


def test_probes_raise_what_a_subscriber_receives_to_the_next_level() -> None:
    """A subscriber's REMB follows what it receives (up to 1.4 times it, climbing at most 8% a second); the probes
    fill what the media leaves under it. The media alone is 135 kbps, the next level needs a REMB of 374 kbps.
    (Probes that filled only what media and probes together left under the REMB settled halfway, and the REMB with
    them at about 315 kbps: a cadet on a good link never left the low version.)"""
    media, target, tick, packet = 135 * KBPS, 374 * KBPS, 0.02, 600
    pacer = ProbePacer(base_bps=media, start=0.0)
    remb, probed = 160 * KBPS, 0
    for step in range(1, 40 * 50):
        now = step * tick
        while pacer.allow(now, target, remb, media) > 0:
            pacer.spend(packet)
            probed += packet
        if step % 50 == 0:  # once a second: what arrived, and the REMB that follows it
            received = media + probed * 8
            assert received <= 1.05 * remb, "probes went over the REMB"
            remb, probed = min(1.4 * received, 1.08 * remb), 0
            if remb >= target:
                break
    assert remb >= target, f"the REMB settled at {remb / KBPS:.0f} kbps"


def test_probes_never_burst_after_a_pause() -> None:
    pacer = ProbePacer(base_bps=100 * KBPS, start=0.0)
    allowed = pacer.allow(10.0, 900 * KBPS, 300 * KBPS, 100 * KBPS)  # ten seconds without a tick
    assert allowed <= 300 * KBPS * PROBE_BURST_S / 8


def test_random_loss_in_small_reports_is_not_congestion() -> None:
    """256 kbps with 5% random loss: the low video's reports each cover a dozen packets, so one of them often shows
    two lost (17%). Weighed by their size, the reports average about 5%, never over the congestion threshold."""
    rng = random.Random("five-percent")  # noqa: S311  # a seeded simulation
    link = LinkEstimate(sent_bps=160 * KBPS)
    worst = 0.0
    for _ in range(600):  # a minute of reports, ten a second
        packets = rng.randint(8, 16)
        lost = sum(rng.random() < 0.05 for _ in range(packets))
        link.report(lost / packets, 5.0, 300.0, packets)
        worst = max(worst, link.loss or 0.0)
    assert worst < LOSS_CONGESTED, worst
    assert 0.01 < (link.loss or 0.0) < 0.09
