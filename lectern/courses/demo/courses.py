"""Demo courses for a first look at Lectern: a category tree, seven training topics in English and Russian, a
generated video and PDF, quizzes in six of the courses, and a few cadets enrolled with some progress and finished
quiz attempts.

Runs right after lectern.platform.demo.load() in the same session, so the academies and users exist. The texts
live in lectern.courses.demo.content and lectern.courses.demo.quizzes; this module only turns them into rows, through
the courses services. The quiz attempts go through quizzes/attempts/services.py, as a cadet's would, and that
service commits each step: the loading is still guarded by the database being empty (`flask lectern demo-data`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from lectern.courses import services
from lectern.courses.content import progress
from lectern.courses.content import storage as storage_module
from lectern.courses.content.storage import Saved, Storage
from lectern.courses.demo.content import (
    CATEGORIES,
    COURSES,
    PDF_LINES,
    PDF_NAME,
    VIDEO_NAME,
    CourseData,
)
from lectern.courses.demo.quizzes import ATTEMPTS, ESSAYS, QUIZZES, WRONG_SHORT, QuizData
from lectern.courses.enrolment import cohort_sync
from lectern.courses.models import (
    Category,
    Course,
    CourseRole,
    CourseStaff,
    EnrolmentMethod,
    Lesson,
    Module,
    StoredFile,
)
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.models import Attempt, BankQuestion, QuestionCategory, Quiz, QuizSlot
from lectern.courses.quizzes.questions import Question, QuestionType, to_data
from lectern.extensions import DbSession
from lectern.platform.models import Academy, Cohort, Role, User, utcnow

if TYPE_CHECKING:  # imported where a video is made: create_app imports this module (the CLI), no page needs PyAV
    import av


VIDEO_WIDTH = 640
VIDEO_HEIGHT = 360
VIDEO_FPS = 25
VIDEO_SECONDS = 7
MAX_VIDEO_BYTES = 32 * 1024 * 1024
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024

# Who teaches the demo courses: Rezekne's instructors, by the course's language.
INSTRUCTORS = {"en": "j.ozols", "ru": "l.berzina"}
# A few cadets enrolled by hand in Russian courses; the others are left to enrol themselves.
ENROLMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("documents", "ru"): ("a.asanov", "f.rahimov", "d.yusupov", "b.toktogulova", "m.nazarova"),
    ("xray", "ru"): ("a.asanov", "d.yusupov"),
}
# Cohorts (of lectern.platform.demo) enrolled in courses: their members are enrolled, and stay in step.
COHORT_ENROLMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("documents", "ru"): ("Border guards intake 2025, Bishkek",),
    ("xray", "ru"): ("Border troops intake 2025, Dushanbe",),
}
# (cadet, course, how many of its first lessons are done), so that "My courses" shows progress.
PROGRESS: tuple[tuple[str, tuple[str, str], int], ...] = (
    ("a.asanov", ("documents", "ru"), 2),
    ("a.asanov", ("xray", "ru"), 1),
)


def load(session: DbSession, storage: Storage) -> list[Course]:
    """Create the demo categories, courses, files and enrolments; return the courses in creation order."""
    academies = {a.slug: a for a in session.scalars(select(Academy))}
    users = {u.username: u for u in session.scalars(select(User))}
    categories = _categories(session)
    media = _media(storage)
    courses: dict[tuple[str, str], Course] = {}
    for data in COURSES:
        courses[data.topic, data.language] = _course(session, data, academies, users, categories, media)
    _enrol(session, courses, users)
    quizzes = {(q.topic, q.language): _quiz(session, courses[q.topic, q.language], q) for q in QUIZZES}
    _attempts(session, quizzes, users)
    return list(courses.values())


# --- categories and courses --------------------------------------------------------------------------------------


def _categories(session: DbSession) -> dict[str, Category]:
    """The category tree, by name; categories that already exist (same name, same parent) are reused."""
    found: dict[str, Category] = {}
    for position, (name, children) in enumerate(CATEGORIES, 1):
        parent = _category(session, name, None, position)
        found[name] = parent
        for child_position, child in enumerate(children, 1):
            found[child] = _category(session, child, parent, child_position)
    return found


def _category(session: DbSession, name: str, parent: Category | None, position: int) -> Category:
    parent_id = parent.id if parent else None
    existing = session.scalar(
        select(Category).where(
            Category.name == name,
            Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
        )
    )
    if existing is not None:
        return existing
    category = Category(name=name, parent_id=parent_id, position=position)
    session.add(category)
    session.flush()
    return category


def _course(
    session: DbSession,
    data: CourseData,
    academies: dict[str, Academy],
    users: dict[str, User],
    categories: dict[str, Category],
    media: dict[str, Saved],
) -> Course:
    academy = academies[data.academy]
    instructor = users[INSTRUCTORS[data.language]]
    fields = services.CourseFields(
        title=data.title,
        summary=data.summary,
        language=data.language,
        tags=data.tags,
        category_id=categories[data.category].id,
        visibility=data.visibility,
        shared_with=[academies[slug].id for slug in data.shared_with],
        self_enrol=data.self_enrol,
        enrol_key=data.enrol_key,
        enrol_cap=data.enrol_cap,
        enrol_opens_at=None,
        enrol_closes_at=None,
    )
    if instructor.academy_id == academy.id:
        course = services.create_course(session, instructor, fields)
    else:
        # Another academy's course: created by the global administrator, taught by the partner academy's instructor.
        admin = next(u for u in users.values() if u.role is Role.GLOBAL_ADMIN)
        course = services.create_course(session, admin, fields, academy_id=academy.id)
        course.staff.append(CourseStaff(user_id=instructor.id, role=CourseRole.INSTRUCTOR))
        session.flush()
    for module_data in data.modules:
        module = services.add_module(session, course, module_data.title)
        for lesson_data in module_data.lessons:
            stored = _stored_file(session, lesson_data.media, media, instructor) if lesson_data.media else None
            services.add_lesson(
                session,
                module,
                kind=lesson_data.kind,
                title=lesson_data.title,
                body=lesson_data.body,
                url=lesson_data.url,
                file=stored,
            )
    return course


def _stored_file(session: DbSession, name: str, media: dict[str, Saved], uploader: User) -> StoredFile:
    """A StoredFile row for a generated file, as an upload of it by the course's instructor would make."""
    row = services.file_row(media[name], name, uploader.id)
    session.add(row)
    session.flush()
    return row


def _enrol(session: DbSession, courses: dict[tuple[str, str], Course], users: dict[str, User]) -> None:
    for key, usernames in ENROLMENTS.items():
        services.enrol(session, courses[key], [users[u] for u in usernames], EnrolmentMethod.MANUAL)
    for key, names in COHORT_ENROLMENTS.items():
        for name in names:
            cohort = session.scalars(select(Cohort).where(Cohort.name == name)).one()
            cohort_sync.enrol_cohort(session, None, courses[key], cohort)
    now = utcnow()
    for username, key, done in PROGRESS:
        lessons = session.scalars(
            select(Lesson)
            .join(Module, Module.id == Lesson.module_id)
            .where(Module.course_id == courses[key].id)
            .order_by(Module.position, Lesson.position)
            .limit(done)
        )
        for lesson in lessons:
            progress.mark_done(session, users[username].id, lesson, now)


# --- quizzes -----------------------------------------------------------------------------------------------------


def _quiz(session: DbSession, course: Course, data: QuizData) -> Quiz:
    """The course's bank from the quiz's GIFT, and the quiz: every question once, but those of the random category,
    of which `random_count` are drawn per attempt."""
    result = parse_gift(data.gift)
    if result.problems:
        raise ValueError(f"demo quiz {data.title!r}: {result.problems}")
    categories: dict[str, QuestionCategory] = {"Top": QuestionCategory(course_id=course.id, name="Top")}
    for question in result.questions:
        if question.category not in categories:
            categories[question.category] = QuestionCategory(course_id=course.id, name=question.category)
    session.add_all(categories.values())
    session.flush()
    rows = [
        BankQuestion(
            course_id=course.id,
            category_id=categories[q.category].id,
            name=q.name,
            type=q.type,
            data=to_data(q),
        )
        for q in result.questions
    ]
    session.add_all(rows)
    session.flush()
    quiz = Quiz(
        course_id=course.id,
        title=data.title,
        intro=data.intro,
        published=True,
        time_limit_minutes=data.time_limit_minutes,
        attempts_allowed=data.attempts_allowed,
        grading_method="highest",
        shuffle_answers=True,
        pass_percent=data.pass_percent,
        required_for_completion=data.required_for_completion,
    )
    fixed = [row for row in rows if row.category.name != data.random_category]
    quiz.slots = [QuizSlot(position=n, question_id=row.id, mark=1.0) for n, row in enumerate(fixed)]
    if data.random_category is not None:
        category = categories[data.random_category]
        quiz.slots += [
            QuizSlot(position=len(fixed) + n, category_id=category.id, mark=1.0) for n in range(data.random_count)
        ]
    session.add(quiz)
    session.flush()
    return quiz


def _answer(question: Question, right: bool, language: str) -> object:
    """A response as a browser sends it: right, or wrong (partly right, for a multiple-answer question)."""
    kind = question.type
    if kind is QuestionType.SINGLE:
        fractions = [c.fraction for c in question.choices]
        return fractions.index(max(fractions)) if right else fractions.index(min(fractions))
    if kind is QuestionType.MULTIPLE:
        good = [n for n, c in enumerate(question.choices) if c.fraction > 0]
        bad = [n for n, c in enumerate(question.choices) if c.fraction <= 0]
        return good if right else [good[0], bad[0]]
    if kind is QuestionType.TRUE_FALSE:
        return question.correct if right else not question.correct
    if kind is QuestionType.SHORT:
        return question.answers[0].text if right else WRONG_SHORT[language]
    if kind is QuestionType.NUMERICAL:
        value = question.numeric[0].value
        return str(int(value) if value.is_integer() else value) if right else str(int(value) + 3)
    if kind is QuestionType.MATCHING:
        options = quiz_grading.matching_options(question)
        stems = quiz_grading.matching_stems(question)
        chosen = {n: options.index(pair.right) for n, pair in enumerate(stems)}
        if not right:  # the first two left items swapped
            chosen[0], chosen[1] = chosen[1], chosen[0]
        return {str(k): v for k, v in chosen.items()}
    return ESSAYS[language]


def _attempts(session: DbSession, quizzes: dict[tuple[str, str], Quiz], users: dict[str, User]) -> None:
    """Finished attempts of a few cadets, a few days ago, answered question by question as in the browser; the
    instructor has marked the essays of some of them."""
    now = utcnow()
    for day, (username, key, skills) in enumerate(ATTEMPTS):
        quiz, cadet = quizzes[key], users[username]
        for number, skill in enumerate(skills):
            began = now - timedelta(days=len(ATTEMPTS) - day, hours=2 * (len(skills) - number))
            attempt = quiz_attempts.start(session, quiz, cadet, began)
            for answer in attempt.answers:
                seed = hashlib.sha256(f"{username}:{number}:{answer.position}".encode()).digest()
                right = seed[0] / 256 < skill
                response = _answer(answer.question, right, key[1])
                at = began + timedelta(minutes=1 + answer.position)
                quiz_attempts.save_answer(session, attempt.id, cadet, answer.position, response, 1, at)
            quiz_attempts.finish(session, attempt, began + timedelta(minutes=13))
            if number == 0 and skill >= 0.7:
                _mark_essays(session, attempt.id, users[INSTRUCTORS[key[1]]], began + timedelta(days=1))


def _mark_essays(session: DbSession, attempt_id: int, instructor: User, at: datetime) -> None:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        return
    for answer in attempt.answers:
        if answer.state == "needs_grading":
            quiz_attempts.grade_by_hand(session, answer, 0.75 * answer.max_mark, "", instructor, at)


# --- generated media ---------------------------------------------------------------------------------------------


def _media(storage: Storage) -> dict[str, Saved]:
    """Generate the demo video and PDF and put them in the store, by the names the lessons use."""
    video = storage.save(
        io.BytesIO(_video()), VIDEO_NAME, allowed=storage_module.VIDEO_TYPES, max_bytes=MAX_VIDEO_BYTES
    )
    pdf = storage.save(
        io.BytesIO(make_pdf(PDF_LINES)), PDF_NAME, allowed=storage_module.DOCUMENT_TYPES, max_bytes=MAX_DOCUMENT_BYTES
    )
    return {VIDEO_NAME: video, PDF_NAME: pdf}


@functools.cache
def _video() -> bytes:
    """The demo video, encoded once per process: it is the same every time, and encoding takes seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / VIDEO_NAME
        write_video(path)
        return path.read_bytes()


def make_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF 1.4 of `lines`: the first as a title in Helvetica, the rest in Courier, so that MRZ lines
    align as on a document."""
    ops = ["BT", "/F1 18 Tf", "56 770 Td", "26 TL", f"({_pdf_text(lines[0])}) Tj", "T*", "/F2 10 Tf", "15 TL"]
    ops += [f"({_pdf_text(line)}) Tj T*" for line in lines[1:]]
    ops.append("ET")
    content = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> "
        b"/Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


# A simulated dual-energy X-ray screen: bags carrying orange (organic), green (mixed), blue (metal) and black
# (impenetrable) items scroll from right to left over a near-white background, on a striped conveyor belt.
_BACKGROUND = (236, 236, 232)
_BAR = (40, 44, 52)
_BELT = (150, 150, 150)
_BELT_MARK = (110, 110, 110)
_SCAN_LINE = (230, 40, 40)
# A bag: its outline and items as (x, y, width, height, colour), relative to the bag's top-left corner.
_BAGS: tuple[tuple[tuple[int, int, int, int, tuple[int, int, int]], ...], ...] = (
    (
        (0, 0, 300, 170, (120, 190, 150)),  # suitcase shell: light green (mixed)
        (8, 8, 284, 154, _BACKGROUND),
        (24, 30, 110, 70, (240, 150, 40)),  # clothes: orange (organic)
        (150, 40, 100, 24, (40, 90, 200)),  # a metal bar: blue
        (150, 64, 24, 60, (40, 90, 200)),
        (60, 112, 200, 34, (250, 180, 90)),  # a thin organic layer along the bottom
    ),
    (
        (0, 20, 240, 150, (80, 170, 110)),  # a parcel: green
        (8, 28, 224, 134, _BACKGROUND),
        (30, 50, 80, 90, (200, 100, 20)),  # a dense organic block: dark orange
        (130, 60, 70, 70, (20, 20, 24)),  # impenetrable: black, to be resolved
    ),
    (
        (0, 0, 280, 170, (120, 190, 150)),
        (8, 8, 264, 154, _BACKGROUND),
        (30, 30, 60, 110, (60, 160, 90)),  # a bottle: green
        (110, 40, 140, 40, (240, 150, 40)),
        (110, 100, 90, 40, (40, 90, 200)),
    ),
)
_SPEED = 6  # pixels per frame; even, so that the half-resolution chroma planes scroll by whole pixels
_BAG_TOP = 90
_FIRST_BAG = 360  # the first bag is already half on screen; the last one is still coming in at the end
_BAG_SPACING = 400


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited range, what browsers assume for VP8."""
    r, g, b = rgb
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    u = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    v = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return round(y), round(u), round(v)


def _strip(width: int) -> list[list[bytearray]]:
    """The whole scrolling scene, `width` pixels wide: Y, U and V planes as lists of rows."""
    sizes = [(width, VIDEO_HEIGHT), (width // 2, VIDEO_HEIGHT // 2), (width // 2, VIDEO_HEIGHT // 2)]
    bg = _yuv(_BACKGROUND)
    planes = [[bytearray([bg[k]]) * w for _ in range(h)] for k, (w, h) in enumerate(sizes)]

    def fill(x: int, y: int, w: int, h: int, rgb: tuple[int, int, int]) -> None:
        colour = _yuv(rgb)
        for k, plane in enumerate(planes):
            scale = 1 if k == 0 else 2
            x0, x1 = max(x // scale, 0), min((x + w) // scale, sizes[k][0])
            for row in plane[y // scale : (y + h) // scale]:
                row[x0:x1] = bytes([colour[k]]) * max(x1 - x0, 0)

    fill(0, 0, width, 40, _BAR)
    fill(0, 300, width, 24, _BELT)
    for x in range(0, width, 32):
        fill(x, 300, 8, 24, _BELT_MARK)
    for n, x in enumerate(range(_FIRST_BAG, width, _BAG_SPACING)):
        for dx, dy, w, h, rgb in _BAGS[n % len(_BAGS)]:
            fill(x + dx, _BAG_TOP + dy, w, h, rgb)
    return planes


def _frames(count: int) -> Iterator[av.VideoFrame]:
    import av

    strip = _strip(VIDEO_WIDTH + count * _SPEED)
    line = _yuv(_SCAN_LINE)
    for index in range(count):
        frame = av.VideoFrame(VIDEO_WIDTH, VIDEO_HEIGHT, "yuv420p")  # a fresh frame each time: see DESIGN.md 3
        for k, plane in enumerate(frame.planes):
            scale = 1 if k == 0 else 2
            offset, width = index * _SPEED // scale, VIDEO_WIDTH // scale
            mark, padding = bytes([line[k]]) * (2 // scale), b"\x00" * (plane.line_size - width)
            centre = width // 2
            rows = []
            for y, row in enumerate(strip[k]):
                visible = bytes(row[offset : offset + width])
                if 40 // scale <= y < 300 // scale:  # the scanner's vertical line, over the image area only
                    visible = visible[:centre] + mark + visible[centre + len(mark) :]
                rows.append(visible + padding)
            plane.update(b"".join(rows))
        frame.pts = index
        frame.time_base = Fraction(1, VIDEO_FPS)
        yield frame


def write_video(path: Path, seconds: int = VIDEO_SECONDS) -> None:
    """Encode the simulated X-ray screen as VP8 in WebM: 640x360, 25 frames a second."""
    import av

    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=VIDEO_FPS)
        stream.width = VIDEO_WIDTH
        stream.height = VIDEO_HEIGHT
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 600_000
        # Real-time speed keeps the demo load fast; a keyframe every two seconds keeps seeking quick.
        stream.options = {"deadline": "realtime", "cpu-used": "8", "g": str(2 * VIDEO_FPS)}
        for frame in _frames(seconds * VIDEO_FPS):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
