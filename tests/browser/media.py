"""Real media for browser tests, made with PyAV: a short VP8 video Chromium can play."""

from __future__ import annotations

from pathlib import Path

import av


def _frame(width: int, height: int, n: int) -> av.VideoFrame:
    """A fresh grey frame with a bright bar that moves with `n` (a new object every time: see DESIGN.md)."""
    frame = av.VideoFrame(width, height, "yuv420p")
    luma = frame.planes[0]
    x = (n * 8) % width
    row = bytearray([60] * luma.line_size)
    row[x : x + 20] = bytes([220]) * len(row[x : x + 20])
    luma.update(bytes(row) * height)
    for chroma in frame.planes[1:]:
        chroma.update(bytes([128]) * chroma.buffer_size)
    return frame


def make_webm(path: Path, seconds: float = 2.0, size: tuple[int, int] = (320, 240), fps: int = 25) -> Path:
    """Write a WebM (VP8) of `seconds` with a moving bar."""
    width, height = size
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n in range(int(seconds * fps)):
            for packet in stream.encode(_frame(width, height, n)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
