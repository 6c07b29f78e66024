"""Files embedded in Moodle XML questions (``<file name=".." path="/" encoding="base64">`` beside a ``<text>``,
referred to in it as ``@@PLUGINFILE@@/name``): checked by their content as uploads are, and the references turned
into references to the content (quiz_model.EMBEDDED). Pure: no Flask. The writer's side is in quiz_xml_export."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import xml.etree.ElementTree as ET  # the elements of a tree defusedxml parsed
from urllib.parse import unquote

from lectern.courses.content.storage import MEDIA_TYPES, sniff
from lectern.courses.quizzes.questions import EmbeddedFile
from lectern.texts import N_, Text

_REFERENCE = re.compile(r"@@PLUGINFILE@@/([^\s\"'<>()]+)")


class EmbedError(Exception):
    """An embedded file that cannot be kept, or a reference to one that is not there: a problem of the question."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def embed(files: list[ET.Element], value: str, what: str, sink: dict[str, EmbeddedFile]) -> str:
    """`value` with each of Moodle's references to one of `files` (``@@PLUGINFILE@@/name``) turned into a reference
    to the file's content; the files go to `sink` by SHA-256. A file that is not an image, a sound or a video
    (judged by its bytes, as uploads are), or a reference to a file that is not there, raises EmbedError."""
    found: dict[str, str] = {}  # path and name as the link writes them -> sha256
    for file in files:
        name = file.get("name", "")
        if file.get("encoding", "base64") != "base64":
            raise EmbedError(N_("%(element)s file '%(name)s' is not base64-encoded", element=what, name=_clip(name)))
        try:
            data = base64.b64decode("".join((file.text or "").split()), validate=True)
        except binascii.Error:
            raise EmbedError(
                N_("%(element)s file '%(name)s' is not valid base64", element=what, name=_clip(name))
            ) from None
        if sniff(data, name) not in MEDIA_TYPES:
            raise EmbedError(
                N_(
                    "%(element)s file '%(name)s' is not an image, sound or video Lectern shows "
                    "(PNG, JPEG, GIF, WebP, MP3, OGG, WAV, MP4, WebM)",
                    element=what,
                    name=_clip(name),
                )
            )
        sha = hashlib.sha256(data).hexdigest()
        sink[sha] = EmbeddedFile(name, data)
        found[(file.get("path", "/").strip("/") + "/" + name).lstrip("/")] = sha

    def relink(match: re.Match[str]) -> str:
        link = match.group(1)
        sha = found.get(unquote(link))
        if sha is None:
            raise EmbedError(
                N_(
                    "%(element)s refers to the file '%(name)s', which is not embedded in it",
                    element=what,
                    name=_clip(unquote(link)),
                )
            )
        return f"@@PLUGINFILE@@/{sha}/{link}"

    return _REFERENCE.sub(relink, value)
