"""The course package format, without Flask or a database: round trip, and every way a package can be bad."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import struct
import warnings
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lectern.courses.models import LessonKind, Visibility
from lectern.courses.packages import format as packages
from lectern.courses.packages import problems as package_problems
from lectern.courses.packages import quizzes as package_quizzes
from lectern.courses.packages.format import (
    CourseInfo,
    LessonEntry,
    Limits,
    Media,
    ModuleEntry,
    Package,
    read_package,
    write_package,
)
from lectern.courses.packages.problems import PackageError, PackageReason, Problem
from lectern.courses.packages.quizzes import Bank, QuizEntry, SlotEntry
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.models import ReviewWhen
from lectern.domain import Invalid
from lectern.texts import on_line

MB = 1024 * 1024
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00" + bytes(range(256)) * 64
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 100
EXE = b"MZ\x90\x00" + bytes(500)


def media(path: str, data: bytes, content_type: str) -> Media:
    return Media(path, hashlib.sha256(data).hexdigest(), len(data), content_type, data)


def sample() -> Package:
    return Package(
        CourseInfo("Document security", "Training of trainers, *advanced*", "en", ["passports", "icao"], "all"),
        [
            ModuleEntry(
                "Security features",
                [
                    LessonEntry("text", "Introduction", "# Intaglio\n\nПечать и защитные элементы."),
                    LessonEntry("video", "UV inspection", "Watch first.", file="media/uv.mp4"),
                    LessonEntry("link", "ICAO Doc 9303", url="https://www.icao.int/publications"),
                ],
            ),
            ModuleEntry("Handouts", [LessonEntry("file", "Checklist", file="media/checklist.pdf")]),
            ModuleEntry("Empty module"),
        ],
        {
            "media/uv.mp4": media("media/uv.mp4", MP4, "video/mp4"),
            "media/checklist.pdf": media("media/checklist.pdf", PDF, "application/pdf"),
        },
    )


def manifest(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "lectern-course",
        "version": 1,
        "course": {"title": "Risk analysis", "summary": "", "language": "en", "tags": []},
        "modules": [{"title": "One", "lessons": [{"kind": "text", "title": "Intro", "body": "lessons/01.md"}]}],
    }
    data.update(changes)
    return data


def make_zip(members: dict[str, bytes | str], **infos: zipfile.ZipInfo) -> io.BytesIO:
    """A zip of `members` (text is written as UTF-8); `infos` give special headers for some of them by name."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are one of the cases under test
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(infos.get(name, name), data)
    buffer.seek(0)
    return buffer


def package_zip(data: Any = None, members: dict[str, bytes | str] | None = None) -> io.BytesIO:
    """A zip of a manifest (by default a valid one), its lesson lessons/01.md and `members`."""
    files: dict[str, bytes | str] = {"manifest.json": json.dumps(manifest() if data is None else data)}
    files["lessons/01.md"] = "# Hello"
    files.update(members or {})
    return make_zip(files)


def problems(source: Any, limits: Limits | None = None) -> list[str]:
    with pytest.raises(PackageError) as info:
        read_package(source, limits).close()
    assert info.value.problems, "a PackageError always lists its problems"
    return [str(p) for p in info.value.problems]


# --- the good case -----------------------------------------------------------------------------------------------


def test_round_trip_gives_an_equal_package(tmp_path):
    out = tmp_path / "course.zip"
    write_package(sample(), out)
    with read_package(out) as got:
        assert got == sample()
        with got.media["media/uv.mp4"].open() as fh:
            assert fh.read() == MP4
        workdir = got.workdir
        assert workdir is not None and workdir.exists()
    assert not workdir.exists(), "closing the package removes what it unpacked"


def test_export_is_deterministic_and_names_bodies_after_their_place():
    first, second = io.BytesIO(), io.BytesIO()
    write_package(sample(), first)
    write_package(sample(), second)
    assert first.getvalue() == second.getvalue()
    names = zipfile.ZipFile(first).namelist()
    assert names[0] == "manifest.json"
    assert "lessons/01-01-introduction.md" in names
    with zipfile.ZipFile(first) as zf:
        assert zf.getinfo("media/uv.mp4").compress_type == zipfile.ZIP_STORED  # video is compressed already


def test_progress_is_reported_while_unpacking():
    source = io.BytesIO()
    write_package(sample(), source)
    seen: list[tuple[int, int]] = []
    with read_package(source, progress=lambda done, total: seen.append((done, total))):
        pass
    assert seen and seen == sorted(seen)
    assert (
        seen[-1][0]
        == seen[-1][1]
        == len(MP4)
        + len(PDF)
        + sum(len(b.encode()) for b in ("# Intaglio\n\nПечать и защитные элементы.", "Watch first."))
    )


def test_kinds_and_visibilities_match_the_models():
    assert set(packages.KINDS) == {k.value for k in LessonKind}
    assert set(packages.VISIBILITIES) == {v.value for v in Visibility}


BANK_GIFT = """$CATEGORY: Top/Documents
::MRZ:: How many lines has the MRZ of a passport? {=2 ~3 ~1}

::Features:: Which are security features? {~%50%Intaglio ~%50%OVD ~%-100%Staples}

$CATEGORY: Top/Documents/Chip
::Chip:: The chip holds the photo. {T}
"""


def quiz_sample() -> Package:
    """A package with a bank of three questions in two categories (and an empty one) and two quizzes."""
    package = sample()
    questions = parse_gift(BANK_GIFT).questions
    questions[1] = replace(questions[1], default_mark=2.5, shuffle=False)
    package.bank = Bank(["Top", "Top/Customs", "Top/Documents", "Top/Documents/Chip"], questions)
    package.quizzes = [
        QuizEntry(
            "Final test",
            intro="Read *carefully*.",
            published=True,
            opens_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
            closes_at=datetime(2026, 5, 30, 18, 30, tzinfo=UTC),
            time_limit_minutes=15,
            attempts_allowed=3,
            grading_method="average",
            shuffle_questions=True,
            shuffle_answers=False,
            pass_percent=60.0,
            required_for_completion=True,
            review_marks="after_close",
            review_feedback="never",
            review_correct="after_attempt",
            slots=[SlotEntry(2.0, question=1), SlotEntry(1.0, category="Top/Documents", count=2)],
        ),
        QuizEntry("Practice", slots=[SlotEntry(1.0, question=0), SlotEntry(0.5, question=2)]),
    ]
    return package


def test_bank_and_quizzes_round_trip(tmp_path):
    out = tmp_path / "course.zip"
    write_package(quiz_sample(), out)
    names = zipfile.ZipFile(out).namelist()
    assert "quizzes/bank.gift" in names
    with read_package(out) as got:
        assert got == quiz_sample()
    data = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert data["quizzes"][0]["slots"] == [
        {"question": 1, "mark": 2.0},
        {"random": "Top/Documents", "count": 2, "mark": 1.0},
    ]
    assert data["quizzes"][0]["opens_at"] == "2026-05-04T09:00:00Z"
    gift = zipfile.ZipFile(out).read("quizzes/bank.gift").decode()
    assert "$CATEGORY: Top/Documents/Chip" in gift
    assert parse_gift(gift).questions[2].category == "Top/Documents/Chip"


def test_a_package_without_quizzes_has_neither_key(tmp_path):
    out = tmp_path / "course.zip"
    write_package(sample(), out)
    data = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert "bank" not in data and "quizzes" not in data


def test_quiz_entries_need_only_title_and_slots():
    bank = {"files": ["quizzes/bank.gift"]}
    quizzes = [{"title": "Q", "slots": [{"question": 0}, {"random": "Documents", "count": 2}]}]
    with read_package(package_zip(manifest(bank=bank, quizzes=quizzes), {"quizzes/bank.gift": BANK_GIFT})) as got:
        assert got.bank is not None and [q.name for q in got.bank.questions] == ["MRZ", "Features", "Chip"]
        assert got.bank.questions[0].category == "Top/Documents"
        assert got.quizzes == [
            QuizEntry("Q", slots=[SlotEntry(1.0, question=0), SlotEntry(1.0, category="Top/Documents", count=2)])
        ]


def test_malformed_gift_in_a_package_is_named_by_file_and_line():
    bad = BANK_GIFT + "\n::Broken:: What is {=this ~that\n"
    data = manifest(bank={"files": ["quizzes/bank.gift"]}, quizzes=[{"title": "Q", "slots": [{"question": 0}]}])
    found = problems(package_zip(data, {"quizzes/bank.gift": bad}))
    assert len(found) == 1 and found[0].startswith("quizzes/bank.gift: line 9: "), found


@pytest.mark.parametrize(
    ("quiz", "expected"),
    [
        ({"slots": []}, "quizzes[0]: missing field 'title'"),
        ({"title": "Q", "slots": [{"question": 7}]}, "quizzes[0].slots[0].question: question 7 is not in the bank"),
        ({"title": "Q", "slots": [{"question": 0, "random": "Top"}]}, "needs either 'question' or 'random'"),
        ({"title": "Q", "slots": [{"question": 0, "count": 2}]}, "count: 'count' is used by random slots only"),
        ({"title": "Q", "slots": [{"random": "Top/Nowhere"}]}, "category 'Top/Nowhere' is not in the bank"),
        ({"title": "Q", "slots": [{"question": "0"}]}, "slots[0].question: must be a whole number"),
        ({"title": "Q", "slots": [], "time_limit_minutes": 0}, "time_limit_minutes: must be from 1 to 100000"),
        ({"title": "Q", "slots": [], "pass_percent": 101}, "pass_percent: must be from 0 to 100"),
        ({"title": "Q", "slots": [], "attempts_allowed": 1.5}, "attempts_allowed: must be a whole number"),
        ({"title": "Q", "slots": [], "published": "yes"}, "quizzes[0].published: must be true or false"),
        ({"title": "Q", "slots": [], "grading_method": "best"}, "'best' is not one of: highest, average"),
        ({"title": "Q", "slots": [], "review_marks": "soon"}, "'soon' is not one of: never, after_attempt"),
        ({"title": "Q", "slots": [], "opens_at": "2026-05-04 09:00"}, "opens_at: '2026-05-04 09:00' is not a date"),
        ({"title": "Q", "slots": [], "colour": "red"}, "quizzes[0]: unknown field 'colour'"),
        ({"title": "Q", "slots": [{"question": 0, "mark": -1}]}, "slots[0].mark: must be from 0 to 1000"),
    ],
)
def test_quiz_entries_are_checked(quiz, expected):
    data = manifest(bank={"files": ["quizzes/bank.gift"]}, quizzes=[quiz])
    found = problems(package_zip(data, {"quizzes/bank.gift": BANK_GIFT}))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("bank", "expected"),
    [
        ({"files": ["quizzes/none.gift"]}, "bank.files[0]: refers to 'quizzes/none.gift', which is not in"),
        ({"files": ["lessons/01.md"]}, "bank.files[0]: 'lessons/01.md' must be under quizzes/"),
        ({"files": "quizzes/bank.gift"}, "bank.files: must be a list"),
        ({"files": ["quizzes/bank.gift"], "questions": [{}]}, "bank.questions: lists 1 questions, but the bank"),
        ({"files": ["quizzes/bank.gift"], "questions": [{"mark": "x"}] * 3}, "questions[0].mark: must be a number"),
        ({"categories": ["Top"]}, "bank: missing field 'files'"),
        ([], "manifest.json: bank: must be an object"),
    ],
)
def test_bank_entry_is_checked(bank, expected):
    found = problems(package_zip(manifest(bank=bank), {"quizzes/bank.gift": BANK_GIFT}))
    assert any(expected in p for p in found), found
    assert problems(package_zip(manifest(quizzes="quizzes/one.gift"))) == ["manifest.json: quizzes: must be a list"]


def test_bank_file_must_be_utf8():
    data = manifest(bank={"files": ["quizzes/bank.gift"]})
    assert problems(package_zip(data, {"quizzes/bank.gift": b"Gr\xfc\xdfe {T}"})) == [
        "quizzes/bank.gift: not UTF-8 text (byte 0xfc at position 2)"
    ]


def test_review_choices_match_the_model():
    assert set(package_quizzes.REVIEW_CHOICES) == {r.value for r in ReviewWhen}
    assert package_quizzes.category_path(" top / Documents ") == "Top/Documents"
    assert package_quizzes.category_path("") == "Top"


def test_problem_codes_all_have_english_text():
    for code, text in package_problems.MESSAGES.items():
        assert text, code
    problem = Problem("unknown_field", "manifest.json", "modules[1].lessons[0]", {"name": "colour"})
    assert str(problem) == "manifest.json: modules[1].lessons[0]: unknown field 'colour'"
    assert Problem.from_json(problem.to_json()) == problem
    assert Problem.from_json("an old message").message == "an old message"
    # A GIFT problem kept before the parser's problems were sentences (lectern.texts) reads as it was kept.
    kept = (
        '{"code": "gift", "file": "quizzes/bank.gift", "where": "line 3", "params": {"message": "answer 1 is empty"}}'
    )
    assert str(Problem.from_json(kept)) == "quizzes/bank.gift: line 3: answer 1 is empty"
    gift = Problem("gift", "quizzes/bank.gift", "", {"at": on_line(3).to_data(), "message": "answer 1 is empty"})
    assert str(Problem.from_json(gift.to_json())) == "quizzes/bank.gift: line 3: answer 1 is empty"


def test_a_package_error_is_a_domain_refusal_that_keeps_its_problems():
    problems = [Problem("missing_manifest", "manifest.json"), Problem("not_zip")]
    error = PackageError(problems)
    assert isinstance(error, Invalid) and error.status == 422
    assert error.reason is PackageReason.PROBLEMS and error.problems == problems
    assert str(error) == "manifest.json: missing: a package starts with manifest.json; not a zip file"


# --- bad packages ------------------------------------------------------------------------------------------------


def test_not_a_zip():
    assert problems(io.BytesIO(b"%PDF-1.4 this is not a zip")) == ["not a zip file"]
    assert problems(io.BytesIO(b"")) == ["not a zip file"]


def test_missing_manifest():
    assert problems(make_zip({"lessons/01.md": "# Hello"})) == [
        "manifest.json: missing: a package starts with manifest.json"
    ]


def test_manifest_not_json_names_line_and_column():
    found = problems(make_zip({"manifest.json": '{"format": "lectern-course",\n  "version": 1,,\n}'}))
    assert len(found) == 1
    assert found[0].startswith("manifest.json: not valid JSON: ")
    assert "(line 2, column 16)" in found[0]


def test_manifest_nested_too_deeply_is_a_problem_not_a_crash():
    assert "not valid JSON" in problems(make_zip({"manifest.json": "[" * 100_000}))[0]


def test_wrong_format_and_version():
    found = problems(package_zip(manifest(format="moodle-backup", version=2)))
    assert "manifest.json: format: format must be 'lectern-course', not 'moodle-backup'" in found
    assert "manifest.json: version: version 2 is not supported (this Lectern reads version 1)" in found


def test_unknown_fields_at_every_level_are_all_named():
    data = manifest(extra=1)
    data["course"]["colour"] = "red"
    data["modules"][0]["weight"] = 3
    data["modules"].append({"title": "Two", "lessons": [{"kind": "text", "title": "A", "colour": "blue"}]})
    found = problems(package_zip(data))
    assert found == [
        "manifest.json: unknown field 'extra'",
        "manifest.json: course: unknown field 'colour'",
        "manifest.json: modules[0]: unknown field 'weight'",
        "manifest.json: modules[1].lessons[0]: unknown field 'colour'",
    ]


def test_duplicate_fields_are_named():
    text = json.dumps(manifest())[:-1] + ', "version": 1}'
    assert problems(make_zip({"manifest.json": text, "lessons/01.md": "x"})) == [
        "manifest.json: field 'version' appears more than once"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"course": {"summary": "x"}}, "manifest.json: course: missing field 'title'"),
        ({"course": {"title": 5}}, "manifest.json: course.title: must be text"),
        ({"course": {"title": None}}, "manifest.json: course.title: must be text"),
        ({"course": {"title": "   "}}, "manifest.json: course.title: must not be empty"),
        ({"course": {"title": "x" * 201}}, "manifest.json: course.title: longer than 200 characters"),
        ({"course": {"title": "a\x00b"}}, "manifest.json: course.title: contains characters that cannot be stored"),
        (
            {"course": {"title": "T", "language": "xx"}},
            "manifest.json: course.language: 'xx' is not one of: en, kk, ky, lv, ru, tg, uz",
        ),
        ({"course": {"title": "T", "tags": "a, b"}}, "manifest.json: course.tags: must be a list"),
        ({"course": {"title": "T", "tags": ["ok", 7]}}, "manifest.json: course.tags[1]: must be text"),
        ({"course": {"title": "T", "visibility": "public"}}, "manifest.json: course.visibility: 'public' is not"),
        ({"course": []}, "manifest.json: course: must be an object"),
        ({"modules": {"title": "x"}}, "manifest.json: modules: must be a list"),
        ({"modules": [{"lessons": []}]}, "manifest.json: modules[0]: missing field 'title'"),
        ({"modules": [{"title": "M", "lessons": [{"kind": "text"}]}]}, "modules[0].lessons[0]: missing field 'title'"),
        ({"modules": [{"title": "M", "lessons": [{"kind": "quiz", "title": "Q"}]}]}, "unknown lesson kind 'quiz'"),
        ({"modules": [{"title": "M", "lessons": [{"kind": "link", "title": "L"}]}]}, "a link lesson needs 'url'"),
        (
            {"modules": [{"title": "M", "lessons": [{"kind": "link", "title": "L", "url": "javascript:alert(1)"}]}]},
            "manifest.json: modules[0].lessons[0].url: must be an address starting with http:// or https://",
        ),
        ({"modules": [{"title": "M", "lessons": [{"kind": "video", "title": "V"}]}]}, "a video lesson needs 'file'"),
        (
            {"modules": [{"title": "M", "lessons": [{"kind": "text", "title": "T", "file": "media/a.pdf"}]}]},
            "manifest.json: modules[0].lessons[0].file: 'file' is not used by text lessons",
        ),
        (
            {"modules": [{"title": "M", "lessons": [{"kind": "text", "title": "T", "body": "notes/a.md"}]}]},
            "modules[0].lessons[0].body: 'notes/a.md' must be under lessons/",
        ),
    ],
)
def test_manifest_fields_are_checked(change, expected):
    data = manifest(**change)
    assert any(expected in p for p in problems(package_zip(data))), expected


def test_referenced_file_missing():
    data = manifest(modules=[{"title": "M", "lessons": [{"kind": "text", "title": "T", "body": "lessons/nope.md"}]}])
    assert problems(package_zip(data)) == [
        "manifest.json: modules[0].lessons[0].body: refers to 'lessons/nope.md', which is not in the package"
    ]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("../../etc/passwd", "leads out of the package"),
        ("lessons/../../x.md", "leads out of the package"),
        ("/etc/passwd", "leads out of the package"),
        ("lessons\\a.md", "leads out of the package"),
        ("C:/Windows/win.ini", "leads out of the package"),
        ("lessons//a.md", "is not a plain relative path"),
        ("./lessons/a.md", "is not a plain relative path"),
    ],
)
def test_paths_that_escape_in_the_manifest_and_in_member_names(path, code):
    data = manifest(modules=[{"title": "M", "lessons": [{"kind": "text", "title": "T", "body": path}]}])
    assert problems(package_zip(data)) == [f"manifest.json: modules[0].lessons[0].body: path '{path}' {code}"]
    found = problems(make_zip({"manifest.json": json.dumps(manifest()), "lessons/01.md": "x", path: "evil"}))
    assert found == [f"{path}: path '{path}' {code}"]


def test_symbolic_link_member_is_refused():
    link = zipfile.ZipInfo("lessons/01.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    members: dict[str, bytes | str] = {"manifest.json": json.dumps(manifest()), "lessons/01.md": "/etc/passwd"}
    found = problems(make_zip(members, **{"lessons/01.md": link}))
    assert found == ["lessons/01.md: is a symbolic link"]


def test_duplicate_member_names_are_refused():
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("manifest.json", json.dumps(manifest()))
            zf.writestr("lessons/01.md", "first")
            zf.writestr("lessons/01.md", "second")
    assert problems(buffer) == ["lessons/01.md: appears more than once in the zip"]


def test_too_many_members():
    members: dict[str, bytes | str] = {f"lessons/{n}.md": "x" for n in range(20)}
    found = problems(package_zip(None, members), Limits(max_members=10))
    assert found == ["holds 22 files, more than the 10 allowed"]


def test_member_count_is_checked_before_the_directory_is_loaded():
    raw = bytearray(package_zip().getvalue())
    end = raw.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", raw, end + 8, 60000, 60000)  # the end record claims 60000 members
    assert problems(io.BytesIO(bytes(raw))) == ["holds 60000 files, more than the 5000 allowed"]


def test_total_size_cap():
    big: dict[str, bytes | str] = {f"media/{n}.bin": os.urandom(MB) for n in range(3)}
    assert problems(package_zip(None, big), Limits(max_total_bytes=2 * MB)) == ["unpacks to more than 2 MB"]


def test_ratio_bomb_is_refused_before_unpacking():
    data = manifest(modules=[{"title": "M", "lessons": [{"kind": "video", "title": "V", "file": "media/bomb.mp4"}]}])
    bomb = package_zip(data, {"media/bomb.mp4": b"\x00" * (50 * MB)})
    assert len(bomb.getvalue()) < MB
    assert problems(bomb) == ["media/bomb.mp4: compressed more than 200 to 1: refused as a possible zip bomb"]


def test_the_whole_archive_is_ratio_capped_not_only_members_over_the_floor():
    # 105 members just under the 1 MB floor: 105 MB out of a zip of about 110 kB, as one upload did.
    members: dict[str, bytes | str] = {f"media/{n}.bin": bytes(MB - 1) for n in range(105)}
    bomb = package_zip(None, members)
    assert len(bomb.getvalue()) < 200 * 1024
    found = problems(bomb)
    assert len(found) == 1
    assert found[0].startswith("package.zip: unpacks to 105 MB from ")
    assert found[0].endswith("kB, more than 200 to 1 for the whole archive: refused as a possible zip bomb")
    with pytest.raises(PackageError) as named:
        read_package(bomb, name="курс.zip")
    assert str(named.value.problems[0]).startswith("курс.zip: unpacks to 105 MB")


def test_per_file_cap():
    data = manifest(modules=[{"title": "M", "lessons": [{"kind": "file", "title": "F", "file": "media/a.pdf"}]}])
    found = problems(package_zip(data, {"media/a.pdf": PDF * 2000}), Limits(max_file_bytes=MB))
    assert found == ["media/a.pdf: larger than 1 MB"]


def _lie_about_size(buffer: io.BytesIO, name: str, size: int) -> io.BytesIO:
    """Rewrite the central directory so that `name` claims to unpack to `size` bytes."""
    raw = bytearray(buffer.getvalue())
    start = raw.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", raw, start + 28)[0]
        if raw[start + 46 : start + 46 + name_len] == name.encode():
            struct.pack_into("<I", raw, start + 24, size)
            return io.BytesIO(bytes(raw))
        extra, comment = struct.unpack_from("<HH", raw, start + 30)
        start += 46 + name_len + extra + comment


def test_lying_headers_cannot_smuggle_a_bomb_past_the_caps():
    # 20 MB of zeros whose header claims 1000 bytes: too small for the ratio check on headers to catch.
    data = manifest(modules=[{"title": "M", "lessons": [{"kind": "video", "title": "V", "file": "media/lie.mp4"}]}])
    liar = _lie_about_size(package_zip(data, {"media/lie.mp4": b"\x00" * (20 * MB)}), "media/lie.mp4", 1000)
    assert zipfile.ZipFile(liar).getinfo("media/lie.mp4").file_size == 1000
    assert problems(liar) == ["media/lie.mp4: damaged, cannot be unpacked"]


def test_unpacking_stops_when_a_member_yields_more_than_its_header_says(monkeypatch):
    data = manifest(modules=[{"title": "M", "lessons": [{"kind": "file", "title": "F", "file": "media/a.pdf"}]}])
    source = package_zip(data, {"media/a.pdf": PDF})
    real_open = zipfile.ZipFile.open

    def lying_open(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(name, "filename", name) == "media/a.pdf":  # another zip library might not truncate as CPython's
            return io.BytesIO(PDF * 100)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", lying_open)
    assert problems(source) == ["media/a.pdf: holds more data than its zip header says"]


def test_markdown_and_manifest_must_be_utf8():
    assert problems(package_zip(None, {"lessons/01.md": b"caf\xe9 cr\xe8me"})) == [
        "lessons/01.md: not UTF-8 text (byte 0xe9 at position 3)"
    ]
    found = problems(make_zip({"manifest.json": b'{"format": "lectern-course", "x": "\xff"}'}))
    assert found == ["manifest.json: not UTF-8 text (byte 0xff at position 35)"]


def test_a_byte_order_mark_is_tolerated():
    with read_package(package_zip(None, {"lessons/01.md": "\ufeff# Hello".encode()})) as got:
        assert got.modules[0].lessons[0].body == "# Hello"


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("video", PDF, "media/x: is not an MP4 or WebM video, but modules[0].lessons[0] is a video lesson"),
        ("file", EXE, "media/x: is not a PDF, image, office document or plain text, but modules[0].lessons[0] is"),
        ("file", b"", "media/x: is empty"),
    ],
)
def test_media_must_match_the_lesson_kind(kind, data, expected):
    found = problems(
        package_zip(
            manifest(modules=[{"title": "M", "lessons": [{"kind": kind, "title": "F", "file": "media/x"}]}]),
            {"media/x": data},
        )
    )
    assert len(found) == 1 and found[0].startswith(expected), found


def test_unsupported_compression_is_refused():
    info = zipfile.ZipInfo("lessons/01.md")
    info.compress_type = zipfile.ZIP_BZIP2  # can decompress into gigabytes in one call: only deflate is unpacked
    members: dict[str, bytes | str] = {"manifest.json": json.dumps(manifest()), "lessons/01.md": "x"}
    found = problems(make_zip(members, **{"lessons/01.md": info}))
    assert found == ["lessons/01.md: uses a compression method Lectern does not unpack (only stored and deflate)"]


def test_every_problem_is_reported_at_once():
    data = manifest(format="zip", colour="red")
    data["modules"][0]["lessons"].append({"kind": "video", "title": "V", "file": "media/missing.mp4"})
    found = problems(package_zip(data, {"lessons/01.md": b"\xff", "../x": "y"}))
    assert len(found) == 5, found


def test_the_number_of_problems_reported_is_capped():
    data = manifest(**{f"field{n}": n for n in range(50)})
    found = problems(package_zip(data), Limits(max_problems=10))
    assert len(found) == 11 and found[-1] == "40 more problems not listed"


# --- never anything but PackageError -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
path_texts = st.sampled_from(["lessons/01.md", "media/a.pdf", "media/v.mp4", "../x", "/x", "lessons/none.md"])
lessons = st.fixed_dictionaries(
    {"kind": st.sampled_from([*packages.KINDS, "quiz"]) | json_values, "title": st.text(max_size=5) | json_values},
    optional={"body": path_texts | json_values, "file": path_texts, "url": st.just("https://x.org") | json_values},
)
gift_paths = st.sampled_from(["quizzes/bank.gift", "quizzes/bad.gift", "quizzes/none.gift", "media/a.pdf"])
banks = st.fixed_dictionaries(
    {"files": st.lists(gift_paths, max_size=3) | json_values},
    optional={
        "categories": st.lists(st.text(max_size=8), max_size=3) | json_values,
        "questions": st.lists(st.fixed_dictionaries({}, optional={"mark": json_values, "shuffle": json_values})),
    },
)
slots = st.fixed_dictionaries(
    {}, optional={"question": st.integers(-2, 5) | json_values, "random": st.text(max_size=8), "count": json_values}
)
quiz_lists = st.lists(
    st.fixed_dictionaries(
        {"title": st.text(max_size=5) | json_values, "slots": st.lists(slots, max_size=4) | json_values},
        optional={key: json_values for key in package_quizzes.SETTINGS if key != "title"},
    ),
    max_size=3,
)
manifests = st.fixed_dictionaries(
    {
        "format": st.just("lectern-course") | json_values,
        "version": st.just(1) | json_values,
        "course": st.fixed_dictionaries({"title": st.text(max_size=5)}, optional={"tags": json_values}) | json_values,
        "modules": st.lists(st.fixed_dictionaries({"title": st.text(max_size=5), "lessons": st.lists(lessons)})),
    },
    optional={"quizzes": json_values | quiz_lists, "bank": json_values | banks, "colour": json_values},
)


def _read_or_refuse(source: Any) -> None:
    try:
        read_package(source).close()
    except PackageError as exc:
        assert exc.problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_are_read_or_refused(data):
    _read_or_refuse(io.BytesIO(data))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_packages_are_read_or_refused(data):
    raw = bytearray(package_zip(None, {"media/a.pdf": PDF[:300], "media/v.mp4": MP4[:300]}).getvalue())
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _read_or_refuse(io.BytesIO(bytes(raw)))


@settings(max_examples=150, deadline=None)
@given(json_values | manifests)
def test_arbitrary_manifests_are_read_or_refused(value):
    members = {"lessons/01.md": "# Hello", "media/a.pdf": PDF, "media/v.mp4": MP4, "quizzes/bank.gift": BANK_GIFT}
    members["quizzes/bad.gift"] = "::A:: {=x ~y\n\n{T}"
    _read_or_refuse(make_zip({"manifest.json": json.dumps(value), **members}))


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_manifest_text_is_read_or_refused(text):
    _read_or_refuse(make_zip({"manifest.json": text}))
