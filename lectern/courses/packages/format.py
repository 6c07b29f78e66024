"""Course packages: the zip format Lectern exports and imports. Pure: no Flask, no database.

A package is a zip holding:

- ``manifest.json`` (UTF-8)::

    {"format": "lectern-course", "version": 1,
     "course": {"title": "...", "summary": "...", "language": "en", "tags": ["..."], "visibility": "draft"},
     "modules": [{"title": "...", "lessons": [
         {"kind": "text|file|video|link", "title": "...", "body": "lessons/01-02-intro.md",
          "url": "https://... (link lessons)", "file": "media/clip.mp4 (file and video lessons)"}]}],
     "bank": {...}, "quizzes": [...]}

  ``summary``, ``tags``, ``visibility``, ``body``, ``url`` and ``file`` may be left out; so may ``bank`` and
  ``quizzes``, the course's question bank and quizzes, described in `lectern.courses.packages.quizzes`.
- ``lessons/*.md``: lesson bodies in Markdown (UTF-8);
- ``media/*``: the files of file and video lessons, checked by their content;
- ``quizzes/bank.gift``: the question bank in GIFT (UTF-8), its problems reported by line.

Reading collects every problem it finds (as `Problem` codes with parameters, so that views can translate them) and
raises them together in one `PackageError` (both in packages/problems.py). Zip bombs are refused from the central
directory's sizes and again while decompressing, since those sizes are written by whoever made the zip.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lectern.config import LANGUAGES
from lectern.courses.content.storage import sniff
from lectern.courses.packages.checks import path_problem
from lectern.courses.packages.manifest import (
    FORMAT,
    KINDS,
    MANIFEST,
    MEDIA_TYPES,
    VERSION,
    VISIBILITIES,
    CourseInfo,
    LessonEntry,
    ManifestChecker,
    Media,
    ModuleEntry,
    Package,
    media_kinds,
    write_package,
)
from lectern.courses.packages.problems import MESSAGES, PackageError, Problem

__all__ = [
    "FORMAT",
    "KINDS",
    "MESSAGES",
    "VERSION",
    "VISIBILITIES",
    "CourseInfo",
    "LessonEntry",
    "Limits",
    "Media",
    "ModuleEntry",
    "Package",
    "PackageError",
    "Problem",
    "media_from_file",
    "read_package",
    "write_package",
]

CHUNK = 1024 * 1024
MB = 1024 * 1024
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
               NotImplementedError)  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """What a package may hold. Views fill the sizes from the configuration."""

    max_total_bytes: int = 2048 * MB  # all members together, uncompressed
    max_file_bytes: int = 512 * MB  # one member: the same cap as one upload
    max_members: int = 5000
    max_ratio: int = 200  # uncompressed / compressed size of one member, and of the whole archive
    # Smaller members (or archives) cannot be bombs: tiny files legitimately compress beyond any ratio. Many members
    # just under it could add up to one, which is why the whole archive's ratio is capped too.
    ratio_floor_bytes: int = MB
    max_text_bytes: int = 2 * MB  # manifest and each lesson body
    max_problems: int = 100
    languages: frozenset[str] = frozenset(LANGUAGES)


def media_from_file(path: str, file: Path) -> Media:
    """A Media entry for the file at `file`, to be stored in the package as `path`."""
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return Media(path, digest.hexdigest(), file.stat().st_size, sniff(file, path) or "", file)


class _Stop(Exception):
    """Reading goes no further: what was found is reported as it is."""


class _Reader:
    """One reading of one zip: the checks of its members, then of the manifest, then of the files it names."""

    def __init__(
        self,
        zf: zipfile.ZipFile,
        limits: Limits,
        workdir: Path,
        progress: Callable[[int, int], None] | None,
        archive: tuple[str, int],
    ):
        self.zf, self.limits, self.workdir, self.progress = zf, limits, workdir, progress
        self.archive_name, self.archive_bytes = archive
        self.problems: list[Problem] = []
        self.dropped = 0
        self.members: dict[str, zipfile.ZipInfo] = {}  # files that may be read
        self.refused: set[str] = set()  # members already reported
        self.unpacked = 0
        self.planned = 1
        self.base = 0
        self.extracted = 0

    def add(self, code: str, file: str = "", where: str = "", **params: Any) -> None:
        if len(self.problems) < self.limits.max_problems:
            self.problems.append(Problem(code, file, where, params))
        else:
            self.dropped += 1

    def read(self) -> Package:
        try:
            package = self._read()
        except _Stop:
            package = None
        if self.dropped:
            self.problems.append(Problem("more_problems", params={"count": self.dropped}))
        if self.problems or package is None:
            raise PackageError(self.problems or [Problem("corrupt")])
        return package

    def _read(self) -> Package:
        self._scan()
        if MANIFEST not in self.members:
            if MANIFEST not in self.refused:
                self.add("missing_manifest", MANIFEST)
            raise _Stop
        text = self._text(MANIFEST)
        if text is None:
            raise _Stop
        duplicates: list[str] = []
        try:
            data = json.loads(text, object_pairs_hook=lambda pairs: _pairs(pairs, duplicates))
        except json.JSONDecodeError as exc:
            self.add("invalid_json", MANIFEST, error=exc.msg, line=exc.lineno, column=exc.colno)
            raise _Stop from None
        except (ValueError, RecursionError) as exc:  # numbers too long to convert, nesting too deep
            self.add("invalid_json", MANIFEST, error=str(exc)[:200] or type(exc).__name__, line=0, column=0)
            raise _Stop from None
        for name in duplicates:
            self.add("duplicate_field", MANIFEST, name=name)
        checker = ManifestChecker(
            lambda code, where, **params: self.add(code, MANIFEST, where, **params),
            self.members,
            self.refused,
            self.limits.languages,
        )
        if (found := checker.package(data)) is None:
            raise _Stop
        package, bodies = found
        self.base = self.unpacked  # progress counts the lessons and media, not the manifest
        quizzes = checker.quizzes
        planned = {*(p for _, p in bodies), *package.media, *quizzes.files}
        self.planned = max(1, sum(self.members[p].file_size for p in planned))
        for lesson, path in bodies:
            lesson.body = self._text(path) or ""
        texts = {path: text for path in quizzes.files if (text := self._text(path)) is not None}
        package.bank = quizzes.bank(texts, self.add)
        for path, kinds in media_kinds(package).items():
            self._media(package, path, kinds)
        return package

    def _scan(self) -> None:
        """Check every member from the central directory alone, before anything is decompressed."""
        limits, infos, total, seen = self.limits, self.zf.infolist(), 0, set()
        if len(infos) > limits.max_members:
            self.add("too_many_members", count=len(infos), limit=limits.max_members)
            raise _Stop
        for info in infos:
            name, before = info.filename, len(self.problems) + self.dropped
            if code := path_problem(name):
                self.add(code, name, path=name)
            if stat.S_ISLNK(info.external_attr >> 16):
                self.add("symlink", name)
            if name in seen:
                self.add("duplicate_member", name)
            seen.add(name)
            if not name.endswith("/"):
                total += info.file_size
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    self.add("compression", name)
                if info.flag_bits & 0x1:
                    self.add("encrypted", name)
                if info.file_size > limits.max_file_bytes:
                    self.add("file_too_large", name, limit_mb=limits.max_file_bytes // MB)
                elif self._ratio_exceeded(info.file_size, info.compress_size):
                    self.add("ratio", name, limit=limits.max_ratio)
            if len(self.problems) + self.dropped > before:
                self.refused.add(name)
            elif not name.endswith("/"):
                self.members[name] = info
        if total > limits.max_total_bytes:
            self.add("too_large", limit_mb=limits.max_total_bytes // MB)
            raise _Stop
        if not self.problems and self._archive_ratio_exceeded(total):  # not when a member was a bomb already
            raise _Stop

    def _ratio_exceeded(self, size: int, compressed: int) -> bool:
        return size > self.limits.ratio_floor_bytes and size > self.limits.max_ratio * max(compressed, 1)

    def _archive_ratio_exceeded(self, unpacked: int) -> bool:
        """Whether `unpacked` bytes are too many for the archive's size, whatever each member's ratio; if so, the
        problem names the archive."""
        if not self._ratio_exceeded(unpacked, self.archive_bytes):
            return False
        self.add(
            "archive_ratio",
            self.archive_name,
            size_mb=max(1, round(unpacked / MB)),
            compressed_kb=max(1, self.archive_bytes // 1024),
            limit=self.limits.max_ratio,
        )
        return True

    def _unpack(self, name: str, out: IO[bytes], cap: int) -> bool:
        """Copy a member into `out`, enforcing the caps on the bytes as they come out (headers can lie)."""
        info, count = self.members[name], 0
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(CHUNK):
                    count += len(chunk)
                    self.unpacked += len(chunk)
                    if count > info.file_size:
                        self.add("size_mismatch", name)
                    elif count > cap:
                        self.add("file_too_large", name, limit_mb=cap // MB)
                    elif self._ratio_exceeded(count, info.compress_size):
                        self.add("ratio", name, limit=self.limits.max_ratio)
                    elif self.unpacked > self.limits.max_total_bytes:
                        self.add("too_large", limit_mb=self.limits.max_total_bytes // MB)
                        raise _Stop
                    elif self._archive_ratio_exceeded(self.unpacked):
                        raise _Stop
                    else:
                        out.write(chunk)
                        if self.progress is not None:
                            self.progress(min(self.unpacked - self.base, self.planned), self.planned)
                        continue
                    return False
        except _ZIP_ERRORS:
            self.add("corrupt", name)
            return False
        return True

    def _text(self, name: str) -> str | None:
        buffer = io.BytesIO()
        if not self._unpack(name, buffer, self.limits.max_text_bytes):
            return None
        data = buffer.getvalue()
        offset = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a byte-order mark some editors add
        try:
            text = data[offset:].decode("utf-8")
        except UnicodeDecodeError as exc:
            self.add("not_utf8", name, byte=f"{data[offset + exc.start]:02x}", position=offset + exc.start)
            return None
        if "\x00" in text:
            self.add("bad_chars", name)
            return None
        return text

    def _media(self, package: Package, path: str, kinds: dict[str, str]) -> None:
        self.extracted += 1
        target = self.workdir / f"media-{self.extracted:05d}"
        with target.open("wb") as out:
            ok = self._unpack(path, out, self.limits.max_file_bytes)
        if not ok:
            package.media.pop(path, None)
            return
        if target.stat().st_size == 0:
            self.add("empty_file", path)
            return
        media = media_from_file(path, target)
        package.media[path] = media
        for where, kind in kinds.items():
            if media.content_type not in MEDIA_TYPES[kind]:
                self.add("not_video" if kind == "video" else "not_document", path, lesson=where)


def _pairs(pairs: list[tuple[str, Any]], duplicates: list[str]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            duplicates.append(key)
        obj[key] = value
    return obj


def read_package(
    source: str | Path | IO[bytes],
    limits: Limits | None = None,
    *,
    workdir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    name: str = "",
) -> Package:
    """Read and check the package in `source` (a path or a seekable binary file), `name` being the file's name as
    uploaded (for the problems about the archive as a whole).

    Media are unpacked into `workdir` (the caller's folder) or, without one, into a temporary folder that the
    returned package owns (`Package.close`). `progress(done, total)` is called as bytes are unpacked. Raises
    PackageError listing every problem found.
    """
    limits = limits or Limits()
    with open(source, "rb") if isinstance(source, str | Path) else contextlib.nullcontext(source) as fh:
        if (count := _directory_too_large(fh, limits)) is not None:
            raise PackageError([Problem("too_many_members", params={"count": count, "limit": limits.max_members})])
        try:
            zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS:
            raise PackageError([Problem("not_zip")]) from None
        archive = (name or (Path(source).name if isinstance(source, str | Path) else "package.zip"), fh.seek(0, 2))
        fh.seek(0)
        work = workdir or Path(tempfile.mkdtemp(prefix="lectern-package-"))
        try:
            with zf:
                package = _Reader(zf, limits, work, progress, archive).read()
        except BaseException:
            if workdir is None:
                shutil.rmtree(work, ignore_errors=True)
            raise
    package.workdir = None if workdir else work
    return package


def _directory_too_large(fh: IO[bytes], limits: Limits) -> int | None:
    """How many members the zip's end record declares, if it or the central directory's size is beyond the limits.

    zipfile loads the whole central directory into memory when it opens a zip: a directory of millions of tiny
    entries must be refused before that. None when the record is within the limits or cannot be found (then zipfile
    decides whether this is a zip at all)."""
    try:
        end = fh.seek(0, io.SEEK_END)
        fh.seek(max(0, end - 65557))  # the end record (22 bytes) follows at most a 64 KiB comment
        tail = fh.read()
        fh.seek(0)
    except (OSError, ValueError):
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries, size = struct.unpack_from("<HL", tail, at + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # Zip64: the real figures are in the Zip64 end record
        try:
            if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
                fh.seek(struct.unpack_from("<Q", tail, at - 12)[0])
                record = fh.read(56)
                if record[:4] == b"PK\x06\x06":
                    entries, size = struct.unpack_from("<QQ", record, 32)
            fh.seek(0)
        except (OSError, ValueError, OverflowError):
            return None
    # An entry takes at least 46 bytes; 1 KiB on average is generous for the short names packages use.
    if entries > limits.max_members or size > limits.max_members * 1024:
        return int(max(entries, size // 1024))
    return None
