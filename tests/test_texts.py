"""Sentences made where no language is at hand (lectern.texts): English as a str, translated when shown, kept as
JSON in a job's record, and never broken by a translation whose placeholders are wrong."""

from __future__ import annotations

import json
import pickle

from lectern.texts import N_, Text, as_data, from_data, on_line

RUSSIAN = {
    "line %(line)d": "строка %(line)d",
    "answer %(number)d is empty": "ответ %(number)d пуст",
    "%(at)s: %(message)s": "%(at)s: %(message)s",
    "numerical answer '%(value)s' is not a number": "числовой ответ «%(value)s» — не число (%(oops)s)",
}


def russian(msgid: str) -> str:
    return RUSSIAN.get(msgid, msgid)


def test_a_text_is_its_english_sentence_and_translates_with_its_parameters():
    text = N_("answer %(number)d is empty", number=3)
    assert text == "answer 3 is empty" and isinstance(text, str)
    assert f"{on_line(7)}: {text}" == "line 7: answer 3 is empty"
    assert text.in_language(russian) == "ответ 3 пуст"
    nested = N_("%(at)s: %(message)s", at=on_line(7), message=text)
    assert nested.in_language(russian) == "строка 7: ответ 3 пуст"  # its parameters are translated too


def test_a_translation_with_wrong_placeholders_falls_back_to_english():
    text = N_("numerical answer '%(value)s' is not a number", value="two")
    assert text.in_language(russian) == "numerical answer 'two' is not a number"


def test_a_text_kept_as_json_or_pickled_is_the_same_sentence():
    text = N_("%(at)s: %(message)s", at=on_line(2), message=N_("answer %(number)d is empty", number=1))
    again = from_data(json.loads(json.dumps(as_data(text))))
    assert isinstance(again, Text) and again == text and again.in_language(russian) == "строка 2: ответ 1 пуст"
    copied = pickle.loads(pickle.dumps(text))  # noqa: S301 (our own bytes)
    assert copied.msgid == text.msgid and copied.in_language(russian) == "строка 2: ответ 1 пуст"
    assert as_data("a plain str") == "a plain str" and from_data(5) == 5


def test_a_sentence_awaiting_its_parameters_is_its_msgid():
    template = N_("numerical answer '%(value)s' is not a number")
    assert template == template.msgid
    assert Text(template.msgid, {"value": "x"}) == "numerical answer 'x' is not a number"
