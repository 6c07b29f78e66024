"""Course packages in the browser: export a course as a zip; import one, with a page that follows its progress."""

from __future__ import annotations

import tempfile
import zipfile

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from lectern.courses import access
from lectern.courses.models import Course
from lectern.courses.packages import jobs
from lectern.courses.packages import service as package_service
from lectern.courses.packages.forms import ImportForm
from lectern.courses.packages.problems import Problem
from lectern.courses.requested import editable_course, storage
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import lazy_gettext as _l
from lectern.i18n import render
from lectern.platform.jobs import JobStatus
from lectern.platform.roles import login_required, signed_in_user
from lectern.texts import Text, from_data
from lectern.urls import arg_id

bp = Blueprint("packages", __name__, url_prefix="/courses")

# The same codes and parameters as problems.MESSAGES, in the user's language.
PROBLEM_TEXTS = {
    "not_zip": _l("This is not a zip file. A course package is the zip file that Lectern exports."),
    "corrupt": _l("damaged, cannot be unpacked"),
    "too_many_members": _l("holds %(count)s files, more than the %(limit)s allowed"),
    "too_large": _l("unpacks to more than %(limit_mb)s MB"),
    "file_too_large": _l("larger than %(limit_mb)s MB"),
    "ratio": _l("compressed more than %(limit)s to 1: refused as a possible zip bomb"),
    "archive_ratio": _l(
        "unpacks to %(size_mb)s MB from %(compressed_kb)s kB, more than %(limit)s to 1 for the whole archive: "
        "refused as a possible zip bomb"
    ),
    "size_mismatch": _l("holds more data than its zip header says"),
    "compression": _l("uses a compression method Lectern does not unpack (only stored and deflate)"),
    "encrypted": _l("is encrypted"),
    "symlink": _l("is a symbolic link"),
    "duplicate_member": _l("appears more than once in the zip"),
    "path_escapes": _l("path “%(path)s” leads out of the package"),
    "bad_path": _l("path “%(path)s” is not a plain relative path"),
    "missing_manifest": _l("missing: a package starts with manifest.json"),
    "invalid_json": _l("not valid JSON: %(error)s (line %(line)s, column %(column)s)"),
    "duplicate_field": _l("field “%(name)s” appears more than once"),
    "wrong_format": _l("format must be “%(expected)s”, not “%(found)s”"),
    "wrong_version": _l("version %(found)s is not supported (this Lectern reads version %(expected)s)"),
    "unknown_field": _l("unknown field “%(name)s”"),
    "missing_field": _l("missing field “%(name)s”"),
    "wrong_type": _l("must be %(expected)s"),
    "empty": _l("must not be empty"),
    "too_long": _l("longer than %(limit)s characters"),
    "bad_chars": _l("contains characters that cannot be stored (NUL or unpaired surrogates)"),
    "bad_choice": _l("“%(value)s” is not one of: %(choices)s"),
    "unknown_kind": _l("unknown lesson kind “%(kind)s” (known: %(choices)s)"),
    "bad_url": _l("must be an address starting with http:// or https://"),
    "needs_field": _l("a %(kind)s lesson needs “%(name)s”"),
    "not_for_kind": _l("“%(name)s” is not used by %(kind)s lessons"),
    "wrong_folder": _l("“%(path)s” must be under %(folder)s/"),
    "missing_file": _l("refers to “%(path)s”, which is not in the package"),
    "not_utf8": _l("not UTF-8 text (byte 0x%(byte)s at position %(position)s)"),
    "empty_file": _l("is empty"),
    "not_video": _l("is not an MP4 or WebM video, but %(lesson)s is a video lesson"),
    "not_document": _l("is not a PDF, image, office document or plain text, but %(lesson)s is a file lesson"),
    "more_problems": _l("%(count)s more problems not listed"),
    "not_allowed": _l("you may not edit the course this package was to replace"),
    "internal": _l("the import failed on the server; it has been logged. Try again later."),
    "interrupted": _l(
        "the server was restarted while it imported the package; the package may well be right: import it again"
    ),
    "gift": _l("%(at)s: %(message)s"),  # the GIFT parser's own words (lectern.texts), after the file
    "out_of_range": _l("must be from %(low)s to %(high)s"),
    "bad_date": _l("“%(value)s” is not a date and time with a timezone, such as 2026-05-04T09:00:00Z"),
    "one_of": _l("needs either “%(first)s” or “%(second)s”, not both"),
    "not_for_slot": _l("“%(name)s” is used by random slots only"),
    "count_mismatch": _l("lists %(found)s questions, but the bank's files hold %(expected)s"),
    "no_question": _l("question %(index)s is not in the bank, which holds %(count)s"),
    "unknown_category": _l("category “%(path)s” is not in the bank"),
}  # "other": a message stored before problems had codes, shown as it was stored
TYPE_TEXTS = {
    "object": _l("an object"),
    "list": _l("a list"),
    "text": _l("text"),
    "bool": _l("true or false"),
    "integer": _l("a whole number"),
    "number": _l("a number"),
}


def problem_text(problem: Problem) -> str:
    """The problem in the user's language, after the file and manifest field it is about."""
    params = {k: render(v) if isinstance(v := from_data(value), Text) else v for k, value in problem.params.items()}
    if problem.code == "wrong_type":
        expected = str(params.get("expected", ""))
        params["expected"] = str(TYPE_TEXTS.get(expected, expected))
    template = PROBLEM_TEXTS.get(problem.code)
    try:
        text = str(template) % params if template is not None else problem.message
    except (KeyError, TypeError, ValueError):
        text = problem.message  # a parameter the translation does not expect: English beats nothing
    return ": ".join(part for part in (problem.file, problem.where, text) if part)


@bp.route("/<id:course_id>/export")
@login_required
def export(course_id: int) -> ResponseReturnValue:
    """The course as a package: a zip download named after it."""
    item = editable_course(course_id)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it once the download is sent
    try:
        package_service.export_course(db.session, item, storage(), out)
    except package_service.ExportError as exc:
        out.close()
        flash(_("The course cannot be exported: its file %(name)s is missing from the store.", name=exc.name), "error")
        return redirect(url_for("course_edit.content", course_id=item.id))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    name = package_service.export_filename(item)
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_package() -> ResponseReturnValue:
    """Upload a package to import as a new course or as a new version of a course the user edits."""
    user = signed_in_user()
    if not access.may_create_courses(user):
        abort(403)
    targets = package_service.editable_courses(db.session, user)
    form = ImportForm()
    form.target.choices = [SelectChoice(0, _("A new course (a draft, until you publish it)"))] + [
        SelectChoice(c.id, _("A new version of “%(title)s”", title=c.title)) for c in targets
    ]
    if request.method == "GET":
        form.target.data = arg_id("course") or 0
    if form.validate_on_submit():
        upload: FileStorage = form.package.data
        name = upload.filename or "package.zip"
        if not zipfile.is_zipfile(upload.stream):
            form.package.errors = [
                _("%(name)s is not a zip file. Export a course from Lectern to get a package.", name=name)
            ]
        else:
            upload.stream.seek(0)
            target = next((c for c in targets if c.id == form.target.data), None)
            job = jobs.create_job(db.session, user, name, target, upload.stream, storage())
            db.session.commit()  # and the import's job leaves for the worker
            url = url_for("packages.job", job_id=job.id)
            if request.accept_mimetypes.best == "application/json":
                return {"redirect": url}
            return redirect(url)
    status = 422 if request.method == "POST" else 200
    return render_template("courses/import.html", form=form), status


@bp.route("/import/<id:job_id>")
@login_required
def job(job_id: int) -> ResponseReturnValue:
    """How an import is going: progress while it runs, then the course or the package's problems."""
    item = jobs.job_of(db.session, signed_in_user(), job_id)
    course = db.session.get(Course, item.course_id) if item.course_id else None
    problems = [problem_text(p) for p in jobs.job_problems(item)]
    return render_template("courses/import_job.html", job=item, course=course, problems=problems)


@bp.route("/import/<id:job_id>.json")
@login_required
def job_status(job_id: int) -> ResponseReturnValue:
    """The job's state for the progress page's script, polled every second."""
    item = jobs.job_of(db.session, signed_in_user(), job_id)
    data: dict[str, object] = {
        "status": item.status.value,
        "progress": item.progress,
        "problems": [problem_text(p) for p in jobs.job_problems(item)],
    }
    if item.status is JobStatus.DONE and item.course_id:
        data["redirect"] = url_for("courses.course", course_id=item.course_id)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response
