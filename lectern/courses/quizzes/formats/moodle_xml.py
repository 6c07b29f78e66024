"""Reading Moodle XML question files (Moodle's qformat_xml). Pure: no Flask. The writer is `to_moodle_xml`.

A file is ``<quiz>`` holding ``<question type="...">`` elements: multichoice (``<single>`` true or false),
truefalse, shortanswer, numerical, matching, essay and description questions, and ``type="category"``
pseudo-questions whose path (``$course$/top/Border control``) applies to the questions after them. Other types
(cloze, calculated, drag and drop...) are reported and skipped; the rest still import.

Safety: input over MAX_BYTES is refused, and the XML is read by defusedxml with DTDs forbidden (entity
declarations, the "billion laughs" and external entities, live there; a ``<!DOCTYPE html>`` inside a question's
CDATA is harmless text). The parser reads the encoding from the BOM or the XML declaration (UTF-8, UTF-16 and the
single-byte code pages); it reads the file incrementally, each question dropped once read, so a bank of thousands
of questions takes little more memory than its questions.

A file that is not XML at all raises QuizFormatError naming the line and column; a question with a problem is
reported as a Problem naming its element (``question[3] (multichoice 'Passport')``) and skipped. Texts lose
surrounding whitespace, as in Moodle, unless their ``<text>`` says ``xml:space="preserve"``.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET  # for its tree and errors: the parser is defusedxml's
from typing import IO
from xml.parsers import expat  # for its error messages

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from lectern.courses.quizzes.formats.moodle_xml_export import to_moodle_xml
from lectern.courses.quizzes.formats.moodle_xml_question import (
    EMBEDDED_FILES,
    BadQuestion,
    clip,
    label,
    read_category,
    read_question,
)
from lectern.courses.quizzes.questions import (
    ImportResult,
    Problem,
    QuizFormatError,
)
from lectern.texts import N_, on_line

__all__ = ["MAX_BYTES", "parse_moodle_xml", "to_moodle_xml"]

MAX_BYTES = 64 * 1024 * 1024  # a bank of 5,000 questions with feedback is a few MB; images add more
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_moodle_xml(data: bytes | str | IO[bytes]) -> ImportResult:
    """Read a Moodle XML file (bytes as uploaded, a binary file, or text) into questions and the problems of those
    that failed.

    Raises QuizFormatError when the file cannot be read at all: too large, an encoding the parser does not know, a
    DTD, malformed XML (with the parser's line and column), or a root element other than ``<quiz>``.
    """
    parser = DefusedXMLParser(target=ET.TreeBuilder(), forbid_dtd=True)
    result = ImportResult()
    token = EMBEDDED_FILES.set(result.files)
    try:
        _read(_Capped(_source(data)), parser, result)
    except DefusedXmlException:
        line = parser.parser.CurrentLineNumber
        raise QuizFormatError(
            [Problem(on_line(line), N_("DTDs and entity declarations (<!DOCTYPE) are refused"))]
        ) from None
    except ET.ParseError as error:
        line, column = error.position
        reason = expat.errors.messages.get(error.code, "not well-formed")
        if error.code in _ENCODING_ERRORS:
            raise QuizFormatError([Problem(on_line(line), _UNSUPPORTED_ENCODING)]) from None
        where = N_("line %(line)d, column %(column)d", line=line, column=column + 1)
        raise QuizFormatError([Problem(where, N_("malformed XML: %(reason)s", reason=reason))]) from None
    except (LookupError, ValueError):  # an encoding Python does not know, or a multi-byte one that expat refuses
        raise QuizFormatError([Problem(on_line(1), _UNSUPPORTED_ENCODING)]) from None
    finally:
        EMBEDDED_FILES.reset(token)
    if not result.questions and not result.problems:
        result.problems.append(Problem("quiz", N_("the file has no questions")))
    return result


_UNSUPPORTED_ENCODING = N_("the file's encoding is not supported; save the file as UTF-8")
_ENCODING_ERRORS = {expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING],
                    expat.errors.codes[expat.errors.XML_ERROR_INCORRECT_ENCODING]}  # fmt: skip


def _read(source: _Capped, parser: DefusedXMLParser, result: ImportResult) -> None:
    """Parse incrementally: each <question> is read when it ends, then dropped from the tree."""
    root: ET.Element | None = None
    depth, index, category = 0, 0, ""
    for event, element in iterparse(source, ("start", "end"), parser=parser):
        if event == "start":
            depth += 1
            if root is None:
                root = element
                if root.tag != "quiz":
                    raise QuizFormatError(
                        [Problem("file", N_("the root element is <%(tag)s>, not <quiz>", tag=clip(root.tag)))]
                    )
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue
        if element.tag == "question":
            index += 1
            kind = element.get("type", "")
            try:
                if kind == "category":
                    category = read_category(element)
                else:
                    result.add(read_question(element, kind, category), label(element, index, kind))
            except BadQuestion as invalid:
                result.problems.append(Problem(label(element, index, kind), invalid.message))
        root.clear()  # what is read is dropped: memory stays flat however many questions follow


def _source(data: bytes | str | IO[bytes]) -> IO[bytes] | IO[str]:
    if isinstance(data, bytes):
        return io.BytesIO(data)
    if isinstance(data, str):
        if surrogate := _SURROGATE.search(data):
            # Only a str built in Python can hold these; they cannot be encoded for the parser.
            line = data.count("\n", 0, surrogate.start()) + 1
            raise QuizFormatError(
                [Problem(on_line(line), N_("the text holds an invalid character (a lone surrogate)"))]
            )
        return io.StringIO(data.removeprefix("\ufeff"))
    return data


class _Capped:
    """`source`, read at most MAX_BYTES (characters, for text) far: a larger file is refused as it is read."""

    def __init__(self, source: IO[bytes] | IO[str]) -> None:
        self.source, self.count = source, 0

    def read(self, size: int = -1) -> bytes | str:
        chunk = self.source.read(size)
        self.count += len(chunk)
        if self.count > MAX_BYTES:
            raise QuizFormatError([Problem("file", N_("the file is larger than %(mb)d MB", mb=MAX_BYTES // 2**20))])
        return chunk
