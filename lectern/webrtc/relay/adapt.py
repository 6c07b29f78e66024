"""What each subscriber's link carries, and which version of the video it gets: pure logic, no aiortc, no clock.

A subscriber's browser tells the relay about its link in RTCP: receiver reports (share of packets lost, jitter, and
through LSR/DLSR the round trip) about once a second, and REMB (its own delay-based estimate of what it can take).
`LinkEstimate` keeps those figures; `Adapter` turns them into a level: the video paused, the low version, or the
high version (the versions the publisher sends, cheapest first; a publisher may send one or two).

Audio first: the video goes down a level when the link shows congestion twice in a row (loss over 10%, a REMB that
fell sharply to under what the relay sends or is held there, or the round trip 300 ms over its best), and goes back
up only after a quiet spell (the REMB and a low loss say there is room) that is longer after each failed attempt
(10 s, 20 s ... up to 2 minutes), so that a cadet on a link that cannot take more is not tried again and again. A
subscriber starts on the cheapest version: its first frame comes quickly on any link, and a good link reaches the
high version within seconds.

A REMB cannot show room above what is sent (a browser's estimate stays within about 1.5 times what it receives),
so going up is a trial: the REMB and the loss only have to say the current level is comfortable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# How a subscriber asks to receive (RECEIVE_CHOICES in api.py) -> the highest video level it wants, or None.
CHOICE_CEILING = {"nothing": None, "audio": None, "slides": None, "low": "low", "everything": "high"}

LOSS_CONGESTED = 0.10  # GCC's threshold: over this, the link is overfilled
LOSS_QUIET = 0.02  # under this, the link has room
LOSS_RESUME = 0.08  # a paused video is tried again only under this (a lossy link that is not full)
RTT_GROWTH_MS = 300.0  # a round trip this much over its best means queues building on the path
REMB_CONGESTED = 0.9  # a REMB fallen under this share of what is sent: the receiver sees the link full
REMB_FALL = 0.85  # ... and under this share of its peak in the last REMB_PEAK_S seconds
REMB_PEAK_S = 4.0
REMB_HELD_S = 2.0  # a REMB under what is sent that has not risen for this long: the receiver holds it down
REMB_ROOM = 1.25  # a REMB over this share of what is sent: the receiver sees room
CONGESTED_REPORTS = 2  # consecutive congested reports before going down a level
HOLD_S = 2.0  # the quiet spell before going up
TRIAL_HOLD_S = 5.0  # the least time between changes when going up is a trial (no probes)
TRIAL_S = 15.0  # going down this soon after going up counts as a failed attempt
BACKOFF_S = (10.0, 20.0, 40.0, 80.0, 120.0)
REMB_FRESH_S = 5.0
DECIDE_EVERY_S = 0.4
PROBE_HOLD_S = 2.0  # a probe never fills the link past the REMB: it may start soon after a change
PROBE_MAX_S = 30.0  # a probe whose REMB has not reached its target by then ends as a failed attempt
PROBE_RTT_GROWTH_MS = 150.0  # a probe ends at this much growth of the round trip: a queue building
PROBE_RAMP = 0.1  # a probe raises what is sent by at most this share of it per second
PROBE_START_BPS = 32_000.0  # a probe starts this much over what is sent
PROBE_BURST_S = 0.1  # probes never make up for more than this long at once
SETTLE_S = 5.0  # after going down, congestion is not counted while the queue drains (and the REMB recovers)
LOSS_WEIGHT = 0.3  # exponential average of the reported loss, per report where its size is not known
LOSS_PACKETS = 150.0  # ... and where it is: a report about n packets weighs 1 - exp(-n / LOSS_PACKETS)


@dataclass
class LinkEstimate:
    """One subscriber's link as its RTCP shows it; times in seconds of the caller's clock."""

    loss: float | None = None  # averaged share of packets lost
    jitter_ms: float | None = None
    rtt_ms: float | None = None
    best_rtt_ms: float | None = None
    remb_bps: float | None = None
    remb_at: float = -1e9
    # Recent REMBs (time, bits/s): a sharp fall below the recent peak is the receiver detecting overuse.
    rembs: list[tuple[float, float]] = field(default_factory=list)
    sent_bps: float = 0.0  # what the relay sends this subscriber now (audio and video)

    def report(
        self, fraction_lost: float | None, jitter_ms: float | None, rtt_ms: float | None, packets: int | None = None
    ) -> None:
        """A receiver report block about one of our streams; `fraction_lost` None for a stream that carried nothing
        since its last report (a paused video: its "no loss" says nothing about the link). `packets`: how many the
        report is about, where known. A report about a few packets weighs little: 2 lost of 12 is no sign of a link
        losing 17% (the average over reports of any size made a link with 5% random loss look congested now and
        then, and its video paused for nothing)."""
        if fraction_lost is not None:
            fraction_lost = min(max(fraction_lost, 0.0), 1.0)
            weight = LOSS_WEIGHT if packets is None else 1 - math.exp(-max(packets, 0) / LOSS_PACKETS)
            self.loss = fraction_lost if self.loss is None else self.loss + weight * (fraction_lost - self.loss)
        if jitter_ms is not None:
            self.jitter_ms = jitter_ms
        if rtt_ms is not None and 0 <= rtt_ms < 60_000:
            self.rtt_ms = rtt_ms
            self.best_rtt_ms = rtt_ms if self.best_rtt_ms is None else min(self.best_rtt_ms, rtt_ms)

    def remb(self, bps: float, now: float) -> None:
        """The receiver's own estimate of what it can take (REMB)."""
        self.remb_bps, self.remb_at = float(bps), now
        self.rembs.append((now, float(bps)))
        self.rembs = [(t, b) for t, b in self.rembs if now - t <= REMB_PEAK_S]

    def remb_fell(self, now: float) -> bool:
        """Whether the receiver saw the link overused: its REMB fell sharply below its recent peak, to under what
        the relay sends. (A browser's REMB climbs about 8% a second after a rise in what it receives, so being under
        what is sent alone means nothing; on overuse it drops to 85% of what it receives.)"""
        remb = self.fresh_remb(now)
        if remb is None or not self.sent_bps:
            return False
        peak = max((b for t, b in self.rembs if now - t <= REMB_PEAK_S), default=remb)
        return remb < REMB_FALL * peak and remb < REMB_CONGESTED * self.sent_bps

    def remb_held(self, now: float) -> bool:
        """Whether the receiver holds its REMB under what the relay sends: it has not risen for REMB_HELD_S. A
        browser's estimate that is not held down climbs about 8% a second while it receives more than it; one that
        stays put under what arrives is its overuse detector at work (a subscriber who joins on a link too small
        for the cheapest version: its first REMB is already low, so it never falls)."""
        remb = self.fresh_remb(now)
        if remb is None or not self.sent_bps or remb >= REMB_CONGESTED * self.sent_bps:
            return False
        before = [b for t, b in self.rembs if now - t >= REMB_HELD_S]
        return bool(before) and remb <= before[-1]

    def fresh_remb(self, now: float) -> float | None:
        return self.remb_bps if now - self.remb_at <= REMB_FRESH_S else None

    def estimate_bps(self, now: float) -> float | None:
        """What the link carries as far as the relay can tell: the REMB, lowered by heavy loss (GCC's loss-based
        rule applied to what is sent); None before the first figures."""
        remb = self.fresh_remb(now)
        by_loss = None
        if self.loss is not None and self.loss > LOSS_CONGESTED and self.sent_bps:
            by_loss = self.sent_bps * (1 - 0.5 * self.loss)
        figures = [f for f in (remb, by_loss) if f is not None]
        return min(figures) if figures else None

    def congested(self, now: float) -> bool:
        return self.congestion(now) is not None

    def congestion(self, now: float) -> str | None:
        """Which sign of congestion the link shows, if any: "loss", "remb" or "rtt"."""
        if self.loss is not None and self.loss > LOSS_CONGESTED:
            return "loss"
        if self.remb_fell(now) or self.remb_held(now):
            return "remb"
        if self.rtt_ms is not None and self.best_rtt_ms is not None and self.rtt_ms > self.best_rtt_ms + RTT_GROWTH_MS:
            return "rtt"
        return None

    def has_room(self, now: float) -> bool:
        if self.loss is None or self.loss >= LOSS_QUIET:
            return False
        remb = self.fresh_remb(now)
        return remb is None or not self.sent_bps or remb >= REMB_ROOM * self.sent_bps

    def rtt_grew(self, now: float, by_ms: float) -> bool:
        return self.rtt_ms is not None and self.best_rtt_ms is not None and self.rtt_ms > self.best_rtt_ms + by_ms

    def may_resume(self) -> bool:
        if self.loss is not None and self.loss >= LOSS_RESUME:
            return False
        return self.rtt_ms is None or self.best_rtt_ms is None or self.rtt_ms <= self.best_rtt_ms + RTT_GROWTH_MS / 2


@dataclass
class Adapter:
    """The video level of one subscriber: 0 paused, then one level per version the publisher sends (cheapest
    first). `versions` names them ("low", "high"); `decide` is called after each report with the link's figures."""

    versions: tuple[str, ...] = ("low", "high")
    adapt: bool = True
    ceiling: str | None = "high"  # from the subscriber's choice: the highest version wanted, None for no video
    level: int = 1
    changed_at: float = 0.0
    raised_at: float = -1e9
    congested_reports: int = 0
    failures: int = 0
    quiet_since: float = 0.0
    reason: str | None = None  # why the video is below what was asked for: "link", or None
    decided_at: float = -1e9
    lowered_at: float = -1e9
    # While probing for the next level: the REMB that would show room for it (bits/s), and since when.
    probe_target: float | None = None
    probe_since: float = 0.0
    # The last changes of level: (when, level, the sign of congestion that lowered it or None).
    history: list[tuple[float, int, str | None]] = field(default_factory=list)

    def start(self, versions: tuple[str, ...], now: float) -> None:
        """A (new) publisher sends these versions: start on the cheapest one wanted."""
        self.versions = versions
        self.level = min(1, self.top)
        self.changed_at = self.quiet_since = now
        self.raised_at = self.lowered_at = -1e9
        self.congested_reports = self.failures = 0
        self.reason = None
        self.probe_target = None

    @property
    def top(self) -> int:
        """The highest level the choice allows with the versions sent."""
        if self.ceiling is None or not self.versions:
            return 0
        if self.ceiling in self.versions:
            return self.versions.index(self.ceiling) + 1
        return 1  # asked for a version the publisher does not send: the one it does

    def set_ceiling(self, ceiling: str | None, now: float) -> None:
        self.ceiling = ceiling
        if self.level > self.top or not self.adapt:
            self._move(self.top, now)
        elif self.level == 0 and self.top and self.reason is None:
            self._move(min(1, self.top), now)  # video asked for again after a choice without it

    def version(self) -> str | None:
        """The version to send now, None for no video."""
        level = self.top if not self.adapt else min(self.level, self.top)
        return self.versions[level - 1] if level > 0 else None

    def decide(
        self, link: LinkEstimate, now: float, needs: dict[int, float] | None = None, can_probe: bool = False
    ) -> str | None:
        """Go down on congestion, up after a quiet spell; returns the version to send.

        `needs`: the bits per second each level takes (its video with the audio), where known. With `can_probe`
        (the relay can send this subscriber probes), going up waits for the subscriber's REMB to show room for the
        next level while the relay probes (`probe_target`); a probe that congests the link ends and counts as a
        failed attempt. Without, going up is a trial that ends at the first congested report."""
        top = self.top
        if now - self.decided_at < DECIDE_EVERY_S:
            return self.version()  # one RTCP packet reaches each of the subscriber's tracks: one decision
        self.decided_at = now
        if not self.adapt or top == 0:
            self.level = top
            self.reason = None
            self.probe_target = None
            return self.version()
        settling = now - self.lowered_at < SETTLE_S  # the queue a higher level built is still draining
        cause = link.congestion(now)
        if self.probe_target is not None:
            remb = link.fresh_remb(now)
            queueing = link.rtt_grew(now, PROBE_RTT_GROWTH_MS)  # a probe stops at the first sign of a queue
            if cause is not None or queueing or now - self.probe_since > PROBE_MAX_S or self.level >= top:
                self._end_probe(now, failed=self.level < top)
            elif remb is not None and remb >= self.probe_target:
                self._end_probe(now, failed=False)
                self._raise(now, top)
            return self.version()
        if cause is not None and not settling:
            self.congested_reports += 1
            self.quiet_since = now
        else:
            self.congested_reports = 0
        trial = now - self.raised_at <= TRIAL_S
        needed = 1 if trial else CONGESTED_REPORTS  # a trial that congests the link ends at once
        if self.congested_reports >= needed and self.level > 0:
            self.congested_reports = 0
            if trial:
                self.failures += 1
            self._move(self.level - 1, now, cause)
            self.lowered_at = now
            self.reason = "link"
        elif self.level < top and now - self.changed_at >= self._wait(can_probe) and now - self.quiet_since >= HOLD_S:
            room = link.may_resume() if self.level == 0 else link.has_room(now)
            need = (needs or {}).get(self.level + 1)
            remb = link.fresh_remb(now)
            if room and can_probe and need and (remb or 0.0) < need:
                # A video that plays probes only once the subscriber's REMB says what the link takes: a probe on
                # top of a version the link cannot carry yet would only deepen the queue.
                if self.level == 0 or remb is not None:
                    self.probe_target, self.probe_since = need, now
            elif room:
                self._raise(now, top)
        return self.version()

    def _raise(self, now: float, top: int) -> None:
        self._move(self.level + 1, now)
        self.raised_at = now
        if self.level == top:
            self.reason = None

    def _end_probe(self, now: float, failed: bool) -> None:
        self.probe_target = None
        if failed:
            self.failures += 1
            # The next attempt waits its back-off from now, and the queue the probe built drains uncounted.
            self.changed_at = self.quiet_since = self.lowered_at = now

    def _wait(self, probe: bool = False) -> float:
        if self.failures == 0:
            return PROBE_HOLD_S if probe else TRIAL_HOLD_S
        return BACKOFF_S[min(self.failures, len(BACKOFF_S)) - 1]

    def _move(self, level: int, now: float, cause: str | None = None) -> None:
        if level != self.level:
            self.level, self.changed_at = level, now
            self.history.append((now, level, cause))
            del self.history[:-20]


@dataclass
class ProbePacer:
    """How many bytes of probes the relay may send a subscriber, tick by tick, while the adapter probes.

    What the subscriber receives climbs from what was sent when the probe began (`base_bps`) by PROBE_RAMP a
    second, never over its REMB (its estimate then climbs too, up to about 1.5 times what it receives) nor over the
    probe's target. Without a REMB yet (a paused video: audio carries none) it goes no higher than the first step.
    The probes fill what the media leaves under that ceiling; counting the probes themselves as what is sent would
    settle halfway between the media and the ceiling, and the REMB with it, short of the next level."""

    base_bps: float
    start: float
    last: float | None = None
    budget: float = 0.0

    def allow(self, now: float, target: float, remb: float | None, media_bps: float) -> float:
        """The bytes that may go now (may be negative: the last packet went over)."""
        ramp = self.base_bps * (1 + PROBE_RAMP * (now - self.start)) + PROBE_START_BPS
        ceiling = min(target, ramp, remb) if remb is not None else min(target, self.base_bps + PROBE_START_BPS)
        elapsed = now - (self.start if self.last is None else self.last)
        self.last = now
        self.budget += max(0.0, ceiling - media_bps) * elapsed / 8
        self.budget = min(self.budget, ceiling * PROBE_BURST_S / 8)  # no burst after a pause in the media
        return self.budget

    def spend(self, size: int) -> float:
        """A probe of `size` bytes went; the bytes still allowed."""
        self.budget -= size
        return self.budget
