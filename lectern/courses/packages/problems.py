"""What can be wrong with a course package: problem codes with their English text, and the error that lists them.
Pure: no Flask, no database.

A `Problem` is a code (a key of MESSAGES) with parameters, the file and the manifest field it is about: the import's
report translates the same codes with the same parameters (packages/views.py), and a job keeps them as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lectern.domain import Invalid
from lectern.texts import from_data

# English text of each problem; views translate the same codes with the same parameters.
MESSAGES = {
    "not_zip": "not a zip file",
    "corrupt": "damaged, cannot be unpacked",
    "too_many_members": "holds {count} files, more than the {limit} allowed",
    "too_large": "unpacks to more than {limit_mb} MB",
    "file_too_large": "larger than {limit_mb} MB",
    "ratio": "compressed more than {limit} to 1: refused as a possible zip bomb",
    "archive_ratio": "unpacks to {size_mb} MB from {compressed_kb} kB, more than {limit} to 1 for the whole archive: "
    "refused as a possible zip bomb",
    "size_mismatch": "holds more data than its zip header says",
    "compression": "uses a compression method Lectern does not unpack (only stored and deflate)",
    "encrypted": "is encrypted",
    "symlink": "is a symbolic link",
    "duplicate_member": "appears more than once in the zip",
    "path_escapes": "path '{path}' leads out of the package",
    "bad_path": "path '{path}' is not a plain relative path",
    "missing_manifest": "missing: a package starts with manifest.json",
    "invalid_json": "not valid JSON: {error} (line {line}, column {column})",
    "duplicate_field": "field '{name}' appears more than once",
    "wrong_format": "format must be '{expected}', not '{found}'",
    "wrong_version": "version {found} is not supported (this Lectern reads version {expected})",
    "unknown_field": "unknown field '{name}'",
    "missing_field": "missing field '{name}'",
    "wrong_type": "must be {expected}",
    "empty": "must not be empty",
    "too_long": "longer than {limit} characters",
    "bad_chars": "contains characters that cannot be stored (NUL or unpaired surrogates)",
    "bad_choice": "'{value}' is not one of: {choices}",
    "unknown_kind": "unknown lesson kind '{kind}' (known: {choices})",
    "bad_url": "must be an address starting with http:// or https://",
    "needs_field": "a {kind} lesson needs '{name}'",
    "not_for_kind": "'{name}' is not used by {kind} lessons",
    "wrong_folder": "'{path}' must be under {folder}/",
    "missing_file": "refers to '{path}', which is not in the package",
    "not_utf8": "not UTF-8 text (byte 0x{byte} at position {position})",
    "empty_file": "is empty",
    "not_video": "is not an MP4 or WebM video, but {lesson} is a video lesson",
    "not_document": "is not a PDF, image, office document or plain text, but {lesson} is a file lesson",
    "more_problems": "{count} more problems not listed",
    "not_allowed": "you may not edit the course this package was to replace",
    "internal": "the import failed on the server; it has been logged",
    "interrupted": "the server was restarted while it imported the package",
    "gift": "{at}: {message}",  # a GIFT problem, in the parser's words (lectern.texts data), at its line
    "out_of_range": "must be from {low} to {high}",
    "bad_date": "'{value}' is not a date and time with a timezone, such as 2026-05-04T09:00:00Z",
    "one_of": "needs either '{first}' or '{second}', not both",
    "not_for_slot": "'{name}' is used by random slots only",
    "count_mismatch": "lists {found} questions, but the bank's files hold {expected}",
    "no_question": "question {index} is not in the bank, which holds {count}",
    "unknown_category": "category '{path}' is not in the bank",
    "other": "{text}",  # a message stored before problems had codes
}
# Parameter values of wrong_type: views translate these words too.
TYPE_NAMES = {
    "object": "an object",
    "list": "a list",
    "text": "text",
    "bool": "true or false",
    "integer": "a whole number",
    "number": "a number",
}


@dataclass
class Problem:
    """One thing wrong with a package: `code` (a key of MESSAGES), the file and the manifest field it is about."""

    code: str
    file: str = ""
    where: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        params = {k: str(from_data(v)) for k, v in self.params.items()}
        if self.code == "wrong_type":
            params["expected"] = TYPE_NAMES.get(params.get("expected", ""), params.get("expected", ""))
        try:
            return MESSAGES[self.code].format(**params)
        except (KeyError, IndexError, ValueError):
            return self.code

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.where, self.message) if part)

    def to_json(self) -> str:
        return json.dumps({"code": self.code, "file": self.file, "where": self.where, "params": self.params})

    @classmethod
    def from_json(cls, text: str) -> Problem:
        """The inverse of to_json; text that is not one (an older job's message) becomes an untranslated problem."""
        try:
            data = json.loads(text)
            problem = cls(str(data["code"]), str(data["file"]), str(data["where"]), dict(data["params"]))
        except (ValueError, KeyError, TypeError):
            return cls("other", params={"text": text})
        if problem.code == "gift" and "at" not in problem.params:  # kept before GIFT problems were sentences
            return cls("other", problem.file, problem.where, {"text": str(problem.params.get("message", ""))})
        return problem


class PackageReason(StrEnum):
    """Why a course package was refused (the reasons of `PackageError` and `service.ExportError`)."""

    PROBLEMS = "package_problems"  # the package breaks the format: `problems` lists how
    MISSING_FILE = "package_missing_file"  # an export: a file of the course is missing from the store


class PackageError(Invalid):
    """The package cannot be read or imported; `problems` lists everything found wrong with it, with the codes the
    import's report translates."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(PackageReason.PROBLEMS, problems=problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems[:5])
