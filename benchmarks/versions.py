"""Two ways to give a weak link a low version of the instructor's video, measured on this machine.

(a) The instructor's browser publishes a second, small video track (what Lectern does): the cost is one more
    small encode in the browser, a little more upload from the instructor, and forwarding one more track.
(b) The relay makes the low version: it decodes the 720p stream and encodes a small one, once per lecture (never
    per viewer): the cost lands on the relay, per lecture, for as long as the lecture lasts.

Both use libvpx through PyAV (the browser's encoder is libvpx too), one core, synthetic camera-like frames.
Measured, not asserted: CPU seconds per second of lecture, and the ratio against (a)'s browser-side encode.

    .venv/bin/python benchmarks/versions.py --seconds 10
"""

from __future__ import annotations

import argparse
import os
import time
from fractions import Fraction

import av

HIGH = (1280, 720)
LOW = (320, 180)
FPS, LOW_FPS = 30, 15
HIGH_KBPS, LOW_KBPS = 1200, 120


def _frames(width: int, height: int, count: int) -> list[av.VideoFrame]:
    """Camera-like frames: a flat picture with a band of noise sliding down, each a fresh object."""
    band = width * (height // 6)
    noise = os.urandom(band * 4)
    flat, chroma = bytes([96]) * (width * height), bytes([128]) * (width * height // 4)
    frames = []
    for index in range(count):
        top = (index * width * 4) % (width * height - band)
        at = (index * 4099) % (band * 3)
        frame = av.VideoFrame(width, height, "yuv420p")
        frame.planes[0].update(flat[:top] + noise[at : at + band] + flat[top + band :])
        frame.planes[1].update(chroma)
        frame.planes[2].update(chroma)
        frame.pts = index
        frames.append(frame)
    return frames


def _encoder(width: int, height: int, kbps: int, fps: int) -> av.CodecContext:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, fps)
    codec.framerate = Fraction(fps, 1)
    codec.bit_rate = kbps * 1000
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "threads": "1"}
    return codec


def _cpu(work: object) -> float:
    start = time.process_time()
    work()  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="seconds of lecture to process (default 10)")
    args = parser.parse_args()
    seconds = args.seconds

    high_frames = _frames(*HIGH, FPS * seconds)
    encoder = _encoder(*HIGH, HIGH_KBPS, FPS)
    high_packets = [p for f in high_frames for p in encoder.encode(f)]  # the instructor's stream, not timed
    packet_count = len(high_packets)
    del high_frames

    low_frames = _frames(*LOW, LOW_FPS * seconds)

    def browser_low_encode() -> None:
        low = _encoder(*LOW, LOW_KBPS, LOW_FPS)
        for frame in low_frames:
            low.encode(frame)

    def relay_transcode() -> None:
        decoder = av.CodecContext.create("libvpx", "r")
        low = _encoder(*LOW, LOW_KBPS, LOW_FPS)
        for index, packet in enumerate(high_packets):
            for frame in decoder.decode(packet):
                if index % (FPS // LOW_FPS) == 0:
                    small = frame.reformat(width=LOW[0], height=LOW[1])
                    small.pts = index // (FPS // LOW_FPS)
                    low.encode(small)

    def relay_decode_only() -> None:
        decoder = av.CodecContext.create("libvpx", "r")
        for packet in high_packets:
            decoder.decode(packet)

    rows = [
        ("(a) browser: encode the low version 320x180@15", _cpu(browser_low_encode)),
        ("(b) relay: decode 720p@30 only", _cpu(relay_decode_only)),
        ("(b) relay: decode 720p, scale, encode 320x180@15", _cpu(relay_transcode)),
    ]
    # Forwarding the low track costs the relay about 60 us per packet sent (DESIGN.md section 3): ~15 packets/s.
    forward = 15 * 60e-6 * seconds
    rows.insert(1, ("(a) relay: forward the low track to one cadet", forward))
    base = rows[0][1]
    print(f"{seconds} s of lecture, {packet_count} frames of 720p VP8 at {HIGH_KBPS} kbps; CPU seconds on one core")
    print(f"{'work':<52} {'cpu s':>8} {'per s':>8} {'ratio':>7}")
    for name, cpu in rows:
        print(f"{name:<52} {cpu:8.3f} {cpu / seconds:8.3f} {cpu / base:7.2f}")
    print(f"one core carries about {seconds / rows[-1][1]:.0f} lectures' transcodes (b)")


if __name__ == "__main__":
    main()
