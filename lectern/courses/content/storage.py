"""Uploaded files: checked by their content, stored under LECTERN_STORAGE by SHA-256, served with range requests.

The type is decided by the bytes, not the name: a renamed executable is refused even when it ends in ".pdf".
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

from lectern.domain import Invalid

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

VIDEO_TYPES = {"video/mp4", "video/webm"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
AUDIO_TYPES = {"audio/mpeg", "audio/ogg", "audio/wav"}
# What a question's text may show or play (Moodle XML embeds these).
MEDIA_TYPES = IMAGE_TYPES | AUDIO_TYPES | VIDEO_TYPES
OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
DOCUMENT_TYPES = {"application/pdf", "text/plain", *OFFICE_TYPES.values()}
# Shown in the browser; everything else is downloaded.
INLINE_TYPES = MEDIA_TYPES | {"application/pdf", "text/plain"}


class UploadReason(StrEnum):
    """Why the store refuses a file (raised as `lectern.domain.Invalid`, field "file"); views word it for users."""

    TOO_LARGE = "too_large"  # param `limit`: the most bytes accepted
    EMPTY = "empty"
    WRONG_TYPE = "wrong_type"


def sniff(path: Path | bytes, filename: str) -> str | None:
    """The content type of the file at `path` (or of these bytes) judged by its bytes (the name only picks among
    zip formats)."""
    with _open(path) as fh:
        head = fh.read(64)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return "video/webm"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"  # an ID3 tag, or an MPEG audio frame's sync bits
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"PK\x03\x04"):
        return _office_type(path, filename)
    if _is_text(path):
        return "text/plain"
    return None


def _open(source: Path | bytes) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _office_type(path: Path | bytes, filename: str) -> str | None:
    suffix = Path(filename).suffix.lower()
    if suffix not in OFFICE_TYPES:
        return None
    try:
        with _open(path) as fh, zipfile.ZipFile(fh) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        return None
    marker = "[Content_Types].xml" if suffix in {".docx", ".xlsx", ".pptx"} else "mimetype"
    return OFFICE_TYPES[suffix] if marker in names else None


def _is_text(path: Path | bytes) -> bool:
    with _open(path) as fh:
        sample = fh.read(64 * 1024)
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still text.
        return exc.start >= len(sample) - 3
    return True


@dataclass(frozen=True)
class Saved:
    sha256: str
    size: int
    content_type: str


class Storage:
    """Content-addressed file store: the same bytes uploaded twice are kept once."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / "files" / sha256[:2] / sha256[2:4] / sha256

    def save(self, stream: IO[bytes], filename: str, allowed: set[str], max_bytes: int) -> Saved:
        """Copy `stream` into the store if its content is one of `allowed` types and at most `max_bytes` long;
        Invalid with an `UploadReason` otherwise."""
        tmp, sha, size = self._receive(stream, max_bytes)
        try:
            content_type = sniff(tmp, filename)
            if content_type is None or content_type not in allowed:
                raise Invalid(UploadReason.WRONG_TYPE, field="file")
            final = self.path(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return Saved(sha, size, content_type)
        finally:
            tmp.unlink(missing_ok=True)

    def _receive(self, stream: IO[bytes], max_bytes: int) -> tuple[Path, str, int]:
        """`stream` copied to a temporary file of the store, with its SHA-256 and size; Invalid (EMPTY, TOO_LARGE)
        when it is empty or longer than `max_bytes`, and then nothing is left behind."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise Invalid(UploadReason.TOO_LARGE, field="file", limit=max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise Invalid(UploadReason.EMPTY, field="file")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest(), size

    # Uploads held between two requests: a question file between its preview and its import. Each is named by a
    # random token of 256 bits, so only the request that held it can name it, and two previews of the same file
    # (two tabs, two editors) hold two files that the first import cannot take from the other; removed after
    # HOLD_SECONDS.
    HOLD_SECONDS = 24 * 3600

    def hold(self, stream: IO[bytes], max_bytes: int) -> str:
        """Keep `stream` for a later request and return its name; Invalid as `save`."""
        folder = self.root / "held"
        folder.mkdir(parents=True, exist_ok=True)
        expired = time.time() - self.HOLD_SECONDS
        for old in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):  # another request may remove it at the same moment
                if old.stat().st_mtime < expired:
                    old.unlink(missing_ok=True)
        tmp, _sha, _ = self._receive(stream, max_bytes)
        name = secrets.token_hex(32)  # the shape of a SHA-256, which `held` checks
        os.replace(tmp, folder / name)
        return name

    def held(self, name: str) -> Path | None:
        """The file `hold` kept under `name`, or None when there is none (expired, or a forged name)."""
        if not _SHA256.fullmatch(name):
            return None
        path = self.root / "held" / name
        return path if path.is_file() else None
