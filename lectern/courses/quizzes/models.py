"""Quizzes: the course's question bank, quizzes and their slots, per-cadet overrides, attempts and their answers.

A bank question is one JSON document (`quiz_model.to_data`), versioned: every attempt answer keeps a copy of the
version it was asked in, so a later correction changes old attempts only when the instructor regrades them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lectern.courses.models import Course, StoredFile
from lectern.courses.quizzes.questions import Question, QuestionType, from_data
from lectern.extensions import Model
from lectern.platform.models import User, UTCDateTime, created_at, intpk, string_enum, timestamp


class ReviewWhen(enum.StrEnum):
    """When a cadet may see part of the review of a finished attempt (Moodle's review options, simplified)."""

    NEVER = "never"
    AFTER_ATTEMPT = "after_attempt"  # as soon as the attempt is finished
    AFTER_CLOSE = "after_close"  # once the quiz has closed


# The quiz's review options (its columns of this name), in the order the settings form shows them.
REVIEW_SETTINGS = ("review_correctness", "review_marks", "review_feedback", "review_general_feedback", "review_correct")


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


class QuestionCategory(Model):
    """A category of a course's question bank. `name` is a path such as "Top/Documents/MRZ", as GIFT and Moodle
    XML write categories; the bank shows the tree the paths make."""

    __tablename__ = "quiz_category"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))

    course: Mapped[Course] = relationship()


class BankQuestion(Model):
    __tablename__ = "quiz_question"

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("quiz_category.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[QuestionType] = mapped_column(string_enum(QuestionType))
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp | None]

    category: Mapped[QuestionCategory] = relationship()

    @property
    def question(self) -> Question:
        return from_data(self.data)


class QuestionMedia(Model):
    """A file embedded in a course's questions (an image or a sound of an imported Moodle XML question): the
    course's readers may fetch it, nobody else."""

    __tablename__ = "quiz_question_media"
    __table_args__ = (UniqueConstraint("course_id", "file_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), index=True)

    file: Mapped[StoredFile] = relationship()


class Quiz(Model):
    __tablename__ = "quiz"

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")  # Markdown
    published: Mapped[bool] = mapped_column(Boolean, default=False)  # cadets see only published quizzes
    opens_at: Mapped[timestamp | None]
    closes_at: Mapped[timestamp | None]
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=0)  # 0: unlimited
    grading_method: Mapped[str] = mapped_column(String(10), default="highest")  # quiz_grading.GRADING_METHODS
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_answers: Mapped[bool] = mapped_column(Boolean, default=True)
    pass_percent: Mapped[float | None] = mapped_column(Float)  # None: no pass mark
    required_for_completion: Mapped[bool] = mapped_column(Boolean, default=False)  # the course needs a pass
    # What the review of a finished attempt shows a cadet, and when (Moodle's review options, simplified): whether
    # each answer was correct, the marks, the feedback on their answers (specific), the question's general
    # feedback, and the right answers. The defaults are Moodle's: all of it right after the attempt.
    review_correctness: Mapped[ReviewWhen] = mapped_column(
        string_enum(ReviewWhen), default=ReviewWhen.AFTER_ATTEMPT, server_default=ReviewWhen.AFTER_ATTEMPT.value
    )
    review_marks: Mapped[ReviewWhen] = mapped_column(string_enum(ReviewWhen), default=ReviewWhen.AFTER_ATTEMPT)
    review_feedback: Mapped[ReviewWhen] = mapped_column(string_enum(ReviewWhen), default=ReviewWhen.AFTER_ATTEMPT)
    review_general_feedback: Mapped[ReviewWhen] = mapped_column(
        string_enum(ReviewWhen), default=ReviewWhen.AFTER_ATTEMPT, server_default=ReviewWhen.AFTER_ATTEMPT.value
    )
    review_correct: Mapped[ReviewWhen] = mapped_column(string_enum(ReviewWhen), default=ReviewWhen.AFTER_ATTEMPT)
    created_at: Mapped[created_at]

    course: Mapped[Course] = relationship()
    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )


class QuizSlot(Model):
    """One question of a quiz: a given bank question, or (with `category_id`) a question drawn at random from a
    bank category for each attempt."""

    __tablename__ = "quiz_slot"

    id: Mapped[intpk]
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_question.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_category.id", ondelete="CASCADE"), index=True)
    mark: Mapped[float] = mapped_column(Float, default=1.0)  # what the question is worth in this quiz

    quiz: Mapped[Quiz] = relationship(back_populates="slots")
    question: Mapped[BankQuestion | None] = relationship()
    category: Mapped[QuestionCategory | None] = relationship()


class QuizOverride(Model):
    """Per-cadet exceptions to a quiz's settings (Moodle's user overrides)."""

    __tablename__ = "quiz_override"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    closes_at: Mapped[timestamp | None]  # a later close for this cadet

    user: Mapped[User] = relationship()


class Attempt(Model):
    __tablename__ = "quiz_attempt"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[intpk]
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per cadet and quiz
    state: Mapped[AttemptState] = mapped_column(string_enum(AttemptState), default=AttemptState.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[timestamp | None]  # kept by the server: the earlier of the time limit and the close
    finished_at: Mapped[timestamp | None]
    mark: Mapped[float | None] = mapped_column(Float)  # sum of the answers' marks once finished
    max_mark: Mapped[float] = mapped_column(Float, default=0.0)
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False)  # an essay waits for a teacher

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", order_by="AttemptAnswer.position", cascade="all, delete-orphan"
    )

    @property
    def percent(self) -> float | None:
        if self.mark is None or self.max_mark <= 0:
            return None
        return round(100 * self.mark / self.max_mark, 2)


class AttemptAnswer(Model):
    """One question of one attempt: the question as asked, the latest saved response, and its grade."""

    __tablename__ = "quiz_attempt_answer"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0, 1, ... in the order shown
    question_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_question.id", ondelete="SET NULL"), index=True)
    question_data: Mapped[dict[str, object]] = mapped_column(JSON)  # the version asked
    version: Mapped[int] = mapped_column(Integer, default=1)
    max_mark: Mapped[float] = mapped_column(Float, default=1.0)
    response: Mapped[object | None] = mapped_column(JSON)  # quiz_grading's JSON shape; None: not answered
    seq: Mapped[int] = mapped_column(Integer, default=0)  # the browser's counter: an older save never wins
    saved_at: Mapped[timestamp | None]
    fraction: Mapped[float | None] = mapped_column(Float)
    mark: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(20), default="unanswered")  # quiz_grading.GradeState
    comment: Mapped[str] = mapped_column(Text, default="")  # the teacher's, with a manual grade
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    graded_at: Mapped[timestamp | None]

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    @property
    def question(self) -> Question:
        """The question as the attempt froze it, parsed once for as long as it is the same data (an attempt page
        asks for it several times per question; a regrade that replaces the data gets it parsed anew)."""
        data = self.question_data
        parsed = self.__dict__.get("_question")
        if parsed is None or parsed[0] is not data:
            parsed = self.__dict__["_question"] = (data, from_data(data))
        return parsed[1]


class QuizPass(Model):
    """A cadet's pass of a quiz with a pass mark: counts towards the course's completion rule."""

    __tablename__ = "quiz_pass"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime())
