"""Synthetic recordings, written the way the relay's recorder writes them: each track's *encoded* packets muxed
into a WebM file of its own with pts from 0, no decoding on the way (`add_mux_stream`, as a muxer of forwarded
packets has no encoder). The picture is a moving texture tinted with a colour of the track's own, the sound a tone of
its own pitch, so a test can tell in the replay which track it sees and hears, and where."""

from __future__ import annotations

import json
import math
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

FPS = 30
VIDEO_CLOCK = Fraction(1, 90000)  # RTP's clock for video, which the relay keeps
SAMPLE_RATE = 48000
AUDIO_FRAME = 960  # 20 ms, as browsers send Opus
# As relay/record.py writes: a cluster a second, flushed; WebRTC's OpusHead (48 kHz stereo, no pre-skip).
MUXER_OPTIONS = {"cluster_time_limit": "1000", "flush_packets": "1"}
OPUS_HEAD = b"OpusHead" + bytes([1, 2]) + (0).to_bytes(2, "little") + (48000).to_bytes(4, "little") + bytes(3)


@dataclass(frozen=True)
class Tint:
    """A track's colour, as the chroma planes it writes (U, V)."""

    u: int
    v: int


RED = Tint(90, 200)
BLUE = Tint(200, 100)
GREEN = Tint(60, 60)


def _texture(width: int, height: int, seed: int) -> list[bytes]:
    """Rows of a smooth random texture twice `width` wide: a noise picture at 1/8 size scaled up."""
    rnd = random.Random(seed)  # noqa: S311 (a seeded picture, not a secret)
    small = av.VideoFrame(width * 2 // 8, height // 8, "gray")
    plane = small.planes[0]
    plane.update(rnd.randbytes(plane.line_size * plane.height))
    big = small.reformat(width * 2, height, "gray", interpolation="BILINEAR")
    data = bytes(big.planes[0])
    stride = big.planes[0].line_size
    return [data[row * stride : row * stride + width * 2] for row in range(height)]


def _fill(frame: av.VideoFrame, index: int, rows: list[bytes], tint: Tint, motion: int) -> None:
    width = frame.width
    offset = (index * motion) % width  # `motion` pixels a frame to the left: motion an encoder can follow
    luma = frame.planes[0]
    pad = b"\0" * (luma.line_size - width)
    luma.update(b"".join(row[offset : offset + width] + pad for row in rows))
    for plane, value in ((frame.planes[1], tint.u), (frame.planes[2], tint.v)):
        plane.update(bytes([value]) * (plane.line_size * plane.height))


def write_video(
    path: Path,
    seconds: float,
    sizes: Sequence[tuple[float, int, int]] = ((0.0, 640, 480),),
    tint: Tint = RED,
    kbps: int = 800,
    motion: Sequence[int] = (4,),
) -> None:
    """A VP8 track of `seconds` at 30 fps; `sizes` lists (from second, width, height): a size change starts a new
    encoder with a keyframe, as a browser does when the camera gives way to a screen share. `motion`: how far the
    picture moves a frame (pixels), for each size in turn (0: a still picture, as a slide is)."""
    container = av.open(str(path), "w", format="webm", options=MUXER_OPTIONS)
    stream = container.add_stream("vp8", rate=FPS)
    stream.width, stream.height = sizes[0][1], sizes[0][2]
    stream.time_base = VIDEO_CLOCK
    encoder: av.VideoCodecContext | None = None
    size: tuple[int, int] | None = None
    rows: list[bytes] = []

    def mux(packets: list[av.Packet]) -> None:
        for packet in packets:
            assert packet.pts is not None
            packet.pts = packet.dts = packet.pts * 90000 // FPS
            packet.time_base = VIDEO_CLOCK
            packet.stream = stream
            container.mux(packet)

    for index in range(round(seconds * FPS)):
        part = max(n for n, (start, _, _) in enumerate(sizes) if start <= index / FPS)
        wanted = sizes[part][1:]
        if wanted != size:
            if encoder is not None:
                mux(encoder.encode(None))
            size = wanted
            encoder = av.CodecContext.create("libvpx", "w")  # type: ignore[assignment]
            assert encoder is not None
            encoder.width, encoder.height = size
            encoder.pix_fmt = "yuv420p"
            encoder.time_base = Fraction(1, FPS)
            encoder.framerate = Fraction(FPS)
            encoder.bit_rate = kbps * 1000
            encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
            rows = _texture(*size, seed=size[0] * 7 + tint.u)
        assert encoder is not None and size is not None
        frame = av.VideoFrame(size[0], size[1], "yuv420p")
        _fill(frame, index, rows, tint, motion[min(part, len(motion) - 1)])
        frame.pts = index
        frame.time_base = Fraction(1, FPS)
        mux(encoder.encode(frame))
    if encoder is not None:
        mux(encoder.encode(None))
    container.close()


def write_audio(path: Path, seconds: float, hertz: float, beeps: bool = False, level: float = 0.3) -> None:
    """An Opus track of `seconds` (stereo, 48 kHz, 20 ms packets): a steady tone, or with `beeps` one 0.25 s beep
    every 0.5 s."""
    container = av.open(str(path), "w", format="webm", options=MUXER_OPTIONS)
    stream = container.add_stream("opus", rate=SAMPLE_RATE)
    stream.codec_context.extradata = OPUS_HEAD
    stream.time_base = Fraction(1, SAMPLE_RATE)
    encoder: av.AudioCodecContext = av.CodecContext.create("libopus", "w")  # type: ignore[assignment]
    encoder.sample_rate = SAMPLE_RATE
    encoder.layout = "stereo"
    encoder.format = "s16"
    encoder.bit_rate = 48000
    encoder.time_base = Fraction(1, SAMPLE_RATE)

    sent = 0

    def mux(packets: list[av.Packet]) -> None:
        nonlocal sent
        for packet in packets:
            # As the relay gets them: one packet per 20 ms, numbered by RTP timestamps from 0.
            packet.pts = packet.dts = sent * AUDIO_FRAME
            sent += 1
            packet.stream = stream
            packet.time_base = Fraction(1, SAMPLE_RATE)
            container.mux(packet)

    total = round(seconds * SAMPLE_RATE)
    for start in range(0, total, AUDIO_FRAME):
        samples = array("h")
        for n in range(start, start + AUDIO_FRAME):
            t = n / SAMPLE_RATE
            on = not beeps or (t % 0.5) < 0.25
            value = int(32767 * level * math.sin(2 * math.pi * hertz * t)) if on else 0
            samples.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        mux(encoder.encode(frame))
    mux(encoder.encode(None))
    container.close()


def truncate(path: Path, keep: float) -> None:
    """Cut the file to `keep` of its bytes, as a relay killed mid-write leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def cut_before_media(path: Path) -> None:
    """Keep only the file's header (up to its first Cluster): a relay killed before it flushed a second of a
    track leaves that."""
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\x1f\x43\xb6\x75")])


def write_manifest(directory: Path, tracks: list[dict[str, object]], stopped_at: float | None = 1000.0) -> None:
    """manifest.json as the recorder writes it, the lecture started at unix second 1000 (tracks give file, kind,
    start and end; peer and user_id are filled in)."""
    full = [{"peer": f"peer-{n}", "user_id": n, **track} for n, track in enumerate(tracks, 1)]
    manifest = {"version": 1, "started_at": 1000.0, "stopped_at": stopped_at, "tracks": full}
    (directory / "manifest.json").write_text(json.dumps(manifest))
