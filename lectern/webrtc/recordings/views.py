"""The recordings' pages: a replay's files (with range requests, so it seeks), its timeline (chapters, slides and the
lecture's chat, each at its moment), the replay page for those who could attend but do not follow the course (an
invited course's cadets, a lecture hall), and deleting a recording. Whoever may not watch a recording gets 404 on
every one of these addresses, as if it did not exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lectern.courses.models import StoredFile
from lectern.courses.requested import storage
from lectern.domain import DomainError
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.roles import login_required, signed_in_user
from lectern.webrtc.models import ChatMessage, Recording
from lectern.webrtc.recordings import services
from lectern.webrtc.relay.provider import recordings_root
from lectern.webrtc.slides import service as slide_service
from lectern.webrtc.slides import views as slide_views
from lectern.webrtc.slides.render import LARGE, SMALL, WIDTHS

bp = Blueprint("recordings", __name__)

MIME = {"main": "video/webm", "low": "video/webm", "audio": "audio/webm"}


def root() -> Path:
    return Path(recordings_root(current_app))


def version_path(recording: Recording, version: str) -> tuple[Path, str]:
    """Where a version of the replay lies, and its ETag. The main version is the lesson's file (in the file store),
    the others lie in the recording's folder."""
    info = recording.versions.get(version)
    if not isinstance(info, dict):
        abort(404)
    sha = str(info.get("sha256") or "")
    if version == "main" and sha:
        return storage().path(sha), sha
    return root() / recording.key / str(info["name"]), f"{recording.id}-{version}-{info.get('bytes')}"


@bp.route("/recordings/<id:recording_id>/<any(main, low, audio):version>")
@login_required
def replay_file(recording_id: int, version: str) -> ResponseReturnValue:
    """One version of a replay, with conditional and range requests (206) for seeking; `?download=1` to keep it."""
    recording = services.watchable(db.session, signed_in_user(), recording_id)
    path, etag = version_path(recording, version)
    if not path.is_file():
        abort(404)
    title = recording.lecture.title.replace("/", "-")
    suffix = {"main": "", "low": " (360p)", "audio": " (audio)"}[version]
    response = send_file(
        path,
        mimetype=MIME[version],
        as_attachment=request.args.get("download") == "1",
        download_name=f"{title}{suffix}.webm",
        conditional=True,
        etag=etag,
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def timeline(recording: Recording) -> dict[str, Any]:
    """What the replay page follows as the video plays: the versions (address, bits per second), the chapters (with
    the slide shown from each on), and the lecture's chat from the recording's span, each at its second."""
    start, stop = recording.started_at, recording.stopped_at
    query = select(ChatMessage).where(ChatMessage.lecture_id == recording.lecture_id, ChatMessage.created_at >= start)
    if stop is not None:
        query = query.where(ChatMessage.created_at <= stop)
    messages = db.session.scalars(
        query.options(joinedload(ChatMessage.user)).order_by(ChatMessage.created_at, ChatMessage.id)
    ).all()
    chapters = []
    for chapter in recording.chapters:
        slide = None
        if chapter.slide_file_id is not None and chapter.slide_page:
            slide = {
                width: url_for("recordings.slide", recording_id=recording.id, chapter_id=chapter.id, width=px)
                for width, px in (("large", LARGE), ("small", SMALL))
            }
        chapters.append({"at": round(chapter.at, 2), "title": chapter.title, "slide": slide})
    return {
        "duration": recording.duration_seconds,
        "versions": {
            name: {
                "url": url_for("recordings.replay_file", recording_id=recording.id, version=name),
                "kbps": round(float(str(info.get("bps", 0))) / 1000),
                "bytes": info.get("bytes"),
            }
            for name, info in recording.versions.items()
            if isinstance(info, dict)
        },
        "chapters": chapters,
        "chat": [
            {
                "at": round(max((m.created_at - start).total_seconds(), 0.0), 2),
                "name": m.user.full_name,
                "text": m.body,
            }
            for m in messages
        ],
    }


@bp.route("/recordings/<id:recording_id>/slides/<id:chapter_id>/<int:width>.webp")
@login_required
def slide(recording_id: int, chapter_id: int, width: int) -> ResponseReturnValue:
    """The slide a chapter of a replay began, to whoever may watch the replay (the room's own addresses serve only
    the deck shown now, to those in the room). Rendered again if the store's rendering is gone."""
    recording = services.watchable(db.session, signed_in_user(), recording_id)
    chapter = next((c for c in recording.chapters if c.id == chapter_id), None)
    if chapter is None or chapter.slide_file_id is None or not chapter.slide_page or width not in WIDTHS:
        abort(404)
    file = db.session.get(StoredFile, chapter.slide_file_id)
    if file is None:
        abort(404)
    try:
        deck = slide_service.prepare(storage(), file, slide_views.limits())
    except DomainError:
        abort(404)
    if not 1 <= chapter.slide_page <= deck.pages:
        abort(404)
    response = send_file(
        slide_service.cache(storage()).image(file.sha256, width, chapter.slide_page),
        mimetype="image/webp",
        conditional=True,
        etag=f"{file.sha256}-{width}-{chapter.slide_page}",
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/recordings/<id:recording_id>/timeline")
@login_required
def replay_timeline(recording_id: int) -> ResponseReturnValue:
    recording = services.watchable(db.session, signed_in_user(), recording_id)
    response = current_app.json.response(timeline(recording))
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/recordings/<id:recording_id>")
@login_required
def replay_page(recording_id: int) -> ResponseReturnValue:
    """The replay on its own page: for whoever may watch it but does not follow the course its lesson is in."""
    recording = services.watchable(db.session, signed_in_user(), recording_id)
    return render_template("webrtc/replay.html", recording=recording, lecture=recording.lecture)


@bp.route("/recordings/<id:recording_id>/delete", methods=["POST"])
@login_required
def delete(recording_id: int) -> ResponseReturnValue:
    """A host deletes a recording: its files and its lesson."""
    recording = services.hosted(db.session, signed_in_user(), recording_id)
    lecture_id = recording.lecture_id
    services.delete(db.session, recording, root(), storage())
    db.session.commit()
    flash(_("The recording was deleted."), "success")
    return redirect(url_for("lectures.details", lecture_id=lecture_id))
