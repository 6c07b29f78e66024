"""What a course package says: its data classes, the checking of manifest.json, and the writing of a package.
Pure: no Flask, no database.

The format is described in `lectern.courses.packages.format`, which reads packages (and their zip bombs) around this.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lectern.courses.content.storage import CHUNK, DOCUMENT_TYPES, IMAGE_TYPES, VIDEO_TYPES
from lectern.courses.packages.checks import MISSING, ManifestChecks
from lectern.courses.packages.quizzes import Bank, QuizChecker, QuizEntry, bank_manifest, quiz_manifest

FORMAT = "lectern-course"
VERSION = 1
MANIFEST = "manifest.json"
KINDS = ("text", "file", "video", "link")  # the values of models.LessonKind
VISIBILITIES = ("draft", "academy", "shared", "all")  # the values of models.Visibility
MEDIA_TYPES = {"video": VIDEO_TYPES, "file": DOCUMENT_TYPES | IMAGE_TYPES}

# Each object's fields: True when required.
TOP_FIELDS = {"format": True, "version": True, "course": True, "modules": True, "bank": False, "quizzes": False}
COURSE_FIELDS = {"title": True, "summary": False, "language": False, "tags": False, "visibility": False}
MODULE_FIELDS = {"title": True, "lessons": True}
LESSON_FIELDS = {"kind": True, "title": True, "body": False, "url": False, "file": False}


@dataclass
class CourseInfo:
    title: str
    summary: str = ""
    language: str = "en"
    tags: list[str] = field(default_factory=list)
    visibility: str | None = None  # informative: an import decides the new course's visibility itself


@dataclass
class LessonEntry:
    kind: str
    title: str
    body: str = ""  # Markdown
    url: str | None = None
    file: str | None = None  # a key of Package.media


@dataclass
class ModuleEntry:
    title: str
    lessons: list[LessonEntry] = field(default_factory=list)


@dataclass
class Media:
    """A file in the package's media/ folder; `source` holds its bytes or names the file that does."""

    path: str
    sha256: str
    size: int
    content_type: str
    source: Path | bytes = field(default=b"", compare=False, repr=False)

    def open(self) -> IO[bytes]:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source.open("rb")


@dataclass
class Package:
    """A course as a package holds it. A package that was read owns a folder of media: close it when done."""

    course: CourseInfo
    modules: list[ModuleEntry] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    bank: Bank | None = None  # the question bank; None when the package has none
    quizzes: list[QuizEntry] = field(default_factory=list)
    workdir: Path | None = field(default=None, compare=False, repr=False)

    def close(self) -> None:
        """Remove the media this package unpacked (a package made in memory has none)."""
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def media_kinds(package: Package) -> dict[str, dict[str, str]]:
    """Each media path with the lessons that use it (by manifest field, e.g. "modules[0].lessons[2]") and kinds."""
    found: dict[str, dict[str, str]] = {path: {} for path in package.media}
    for m, module in enumerate(package.modules):
        for n, lesson in enumerate(module.lessons):
            if lesson.file in found:
                found[lesson.file][f"modules[{m}].lessons[{n}]"] = lesson.kind
    return found


class ManifestChecker(ManifestChecks):
    """Checks the manifest's parsed JSON against the format and builds the Package it describes."""

    def __init__(
        self,
        add: Callable[..., None],
        members: set[str] | dict[str, Any],
        refused: set[str],
        languages: frozenset[str],
    ) -> None:
        super().__init__(add, members, refused)
        self.languages = languages
        self.quizzes = QuizChecker(add, members, refused)

    def package(self, data: Any) -> tuple[Package, list[tuple[LessonEntry, str]]] | None:
        """The package (media not unpacked yet, lesson bodies empty) and each lesson's body path; None when the
        manifest is not even an object."""
        bodies: list[tuple[LessonEntry, str]] = []
        package = Package(CourseInfo(""))
        if (top := self.object(data, "", TOP_FIELDS)) is None:
            return None
        if "format" in top and top["format"] != FORMAT:
            self.add("wrong_format", "format", expected=FORMAT, found=str(top["format"])[:100])
        version = top.get("version", VERSION)
        if type(version) is not int or version != VERSION:
            self.add("wrong_version", "version", expected=VERSION, found=str(version)[:100])
        self.quizzes.check(top.get("bank", MISSING), top.get("quizzes", MISSING))
        package.quizzes = self.quizzes.quizzes
        if (course := self.object(top.get("course", MISSING), "course", COURSE_FIELDS)) is not None:
            package.course = self.course(course)
        for m, raw in enumerate(self.typed(top.get("modules", MISSING), "modules", list, "list") or []):
            where = f"modules[{m}]"
            if (module := self.object(raw, where, MODULE_FIELDS)) is None:
                continue
            entry = ModuleEntry(self.text(module, "title", where, 200) or "")
            package.modules.append(entry)
            lessons = self.typed(module.get("lessons", MISSING), f"{where}.lessons", list, "list") or []
            for n, lesson in enumerate(lessons):
                if (item := self.lesson(lesson, f"{where}.lessons[{n}]", package, bodies)) is not None:
                    entry.lessons.append(item)
        return package, bodies

    def text(self, obj: dict[str, Any], key: str, where: str, max_len: int, empty: bool = False) -> str | None:
        if key not in obj:
            return None
        return self.check_text(obj[key], f"{where}.{key}" if where else key, max_len, empty)

    def course(self, obj: dict[str, Any]) -> CourseInfo:
        info = CourseInfo(self.text(obj, "title", "course", 200) or "")
        info.summary = self.text(obj, "summary", "course", 5000, empty=True) or ""
        language = self.text(obj, "language", "course", 8)
        if language is not None and language not in self.languages:
            self.add("bad_choice", "course.language", value=language, choices=", ".join(sorted(self.languages)))
        info.language = language or "en"
        for n, tag in enumerate(self.typed(obj.get("tags", MISSING), "course.tags", list, "list") or []):
            if (text := self.check_text(tag, f"course.tags[{n}]", 40)) is not None:
                info.tags.append(text)
        if len(", ".join(info.tags)) > 400:  # the course form's limit: the tags column holds 500
            self.add("too_long", "course.tags", limit=400)
        visibility = self.text(obj, "visibility", "course", 20)
        if visibility is not None and visibility not in VISIBILITIES:
            self.add("bad_choice", "course.visibility", value=visibility, choices=", ".join(VISIBILITIES))
        info.visibility = visibility if visibility in VISIBILITIES else None
        return info

    def lesson(
        self, raw: Any, where: str, package: Package, bodies: list[tuple[LessonEntry, str]]
    ) -> LessonEntry | None:
        if (obj := self.object(raw, where, LESSON_FIELDS)) is None:
            return None
        kind = self.text(obj, "kind", where, 20)
        if kind is not None and kind not in KINDS:
            self.add("unknown_kind", f"{where}.kind", kind=kind[:40], choices=", ".join(KINDS))
        entry = LessonEntry(kind or "", self.text(obj, "title", where, 200) or "")
        if (body := self.reference(obj, "body", where, "lessons")) is not None:
            bodies.append((entry, body))
        if kind not in KINDS:
            return entry
        if self.used(obj, "url", where, kind, kind == "link"):
            entry.url = self.text(obj, "url", where, 2000)
            if entry.url is not None and not entry.url.lower().startswith(("http://", "https://")):
                self.add("bad_url", f"{where}.url")
        if self.used(obj, "file", where, kind, kind in MEDIA_TYPES):
            entry.file = self.reference(obj, "file", where, "media")
            if entry.file is not None:
                package.media[entry.file] = Media(entry.file, "", 0, "")  # filled in once unpacked
        return entry

    def used(self, obj: dict[str, Any], key: str, where: str, kind: str, needed: bool) -> bool:
        """Whether `key` is given and used by lessons of `kind`; reports it missing or superfluous."""
        if key not in obj:
            if needed:
                self.add("needs_field", where, kind=kind, name=key)
            return False
        if not needed:
            self.add("not_for_kind", f"{where}.{key}", kind=kind, name=key)
        return needed

    def reference(self, obj: dict[str, Any], key: str, where: str, folder: str) -> str | None:
        """A path to another member: safe, in its folder, and present (unless already reported)."""
        return self.member(obj[key], f"{where}.{key}", folder) if key in obj else None


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-")
    return f"-{slug}" if slug else ""


def _info(name: str, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    # A fixed date makes exports of the same course byte-identical.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def write_package(package: Package, out_file: str | Path | IO[bytes]) -> None:
    """Write `package` as a zip to `out_file` (a path or a writable binary file)."""
    course: dict[str, Any] = {
        "title": package.course.title,
        "summary": package.course.summary,
        "language": package.course.language,
        "tags": list(package.course.tags),
    }
    if package.course.visibility is not None:
        course["visibility"] = package.course.visibility
    modules, bodies = [], {}
    for m, module in enumerate(package.modules, start=1):
        lessons = []
        for n, lesson in enumerate(module.lessons, start=1):
            entry: dict[str, Any] = {"kind": lesson.kind, "title": lesson.title}
            if lesson.body:
                entry["body"] = f"lessons/{m:02d}-{n:02d}{_slug(lesson.title)}.md"
                bodies[entry["body"]] = lesson.body
            if lesson.url is not None:
                entry["url"] = lesson.url
            if lesson.file is not None:
                if lesson.file not in package.media:
                    raise ValueError(f"lesson {lesson.title!r} uses {lesson.file!r}, which is not in the package")
                entry["file"] = lesson.file
            lessons.append(entry)
        modules.append({"title": module.title, "lessons": lessons})
    manifest: dict[str, Any] = {"format": FORMAT, "version": VERSION, "course": course, "modules": modules}
    bank, gift = bank_manifest(package.bank) if package.bank is not None else (None, {})
    if bank is not None:
        manifest["bank"] = bank
    if package.quizzes:
        manifest["quizzes"] = [quiz_manifest(quiz) for quiz in package.quizzes]
    with zipfile.ZipFile(out_file, "w") as zf:
        zf.writestr(_info(MANIFEST), json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        for path, body in {**bodies, **gift}.items():
            zf.writestr(_info(path), body.encode("utf-8"))
        for media in package.media.values():
            # Video and images are compressed already: storing them saves time and loses nothing.
            packed = media.content_type in VIDEO_TYPES | IMAGE_TYPES
            info = _info(media.path, zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
            info.file_size = media.size
            with media.open() as src, zf.open(info, "w", force_zip64=media.size > 2**31 - 1) as dst:
                shutil.copyfileobj(src, dst, CHUNK)
