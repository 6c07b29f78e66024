"""Sentences for users, made where no request (and so no language) is at hand. Pure: no Flask.

The file readers (GIFT, Aiken, Moodle XML), the grader and the other pure modules return a `Text`: the English
source sentence, marked for extraction by `N_`, and its parameters. The view renders it in the reader's language
(`lectern.i18n.render`); as a str it is the English sentence (logs, tests, the command line). A parameter may itself
be a Text (translated too), and a Text travels as JSON (`to_data`, `from_data`) in a job's record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class Text(str):
    """A sentence: as a str, the English (the catalogues' msgid %-formatted by `params`), so that it compares, joins
    and logs as the sentence it is; `in_language` gives it translated."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None) -> Text:
        params = dict(params or {})
        english = super().__new__(cls, _fill(msgid, msgid, params, None))
        english.msgid, english.params = msgid, params
        return english

    def in_language(self, translate: Callable[[str], str]) -> str:
        """The sentence in a language: `translate(msgid)` gives each msgid's translation (parameters' too)."""
        return _fill(translate(self.msgid), self.msgid, self.params, translate)

    def __reduce__(self) -> tuple[type[Text], tuple[str, Mapping[str, Any]]]:
        return Text, (self.msgid, self.params)  # a copy or a pickle is the same sentence, not its English alone

    def to_data(self) -> dict[str, Any]:
        """A JSON-ready form; `from_data` reads it back equal."""
        return {"msgid": self.msgid, "params": {k: as_data(v) for k, v in self.params.items()}}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Text:
        return cls(str(data["msgid"]), {k: from_data(v) for k, v in dict(data["params"]).items()})


def _fill(template: str, msgid: str, params: Mapping[str, Any], translate: Callable[[str], str] | None) -> str:
    values = {k: _value(v, translate) for k, v in params.items()}
    for text in (template, msgid):  # a translation whose placeholders are wrong: English beats nothing
        try:
            return str(text % values)
        except (KeyError, TypeError, ValueError):
            pass
    return msgid  # a sentence kept to be given its parameters later (`Text(t.msgid, params)`)


def _value(value: Any, translate: Callable[[str], str] | None) -> Any:
    if isinstance(value, Text):
        return value.in_language(translate) if translate is not None else str.__str__(value)
    return value


def as_data(value: Any) -> Any:
    """A Text as JSON-ready data (any other value stays as it is): for a parameter kept in JSON, such as a job's
    problems."""
    return value.to_data() if isinstance(value, Text) else value


def from_data(value: Any) -> Any:
    """`as_data` read back: a Text where there was one, any other value as it is."""
    return Text.from_data(value) if isinstance(value, dict) and set(value) == {"msgid", "params"} else value


def N_(msgid: str, **params: Any) -> Text:
    """Mark `msgid` for the catalogues (Babel extracts `N_`) and keep it with its parameters, untranslated."""
    return Text(msgid, params)


def on_line(number: int) -> Text:
    """Where a problem is in a text file."""
    return N_("line %(line)d", line=number)
