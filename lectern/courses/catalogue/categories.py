"""The catalogue's category tree, managed by global administrators."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from lectern.courses.catalogue import services as catalogue
from lectern.courses.catalogue.forms import CategoryForm
from lectern.courses.models import Category
from lectern.domain import Conflict
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.models import Role
from lectern.platform.roles import role_required

bp = Blueprint("categories", __name__, url_prefix="/courses/categories")


def _form(category: Category | None) -> CategoryForm:
    form = CategoryForm(obj=category)
    tree = catalogue.category_tree(db.session)
    # A category cannot go inside itself or its own descendants.
    excluded = catalogue.descendants(db.session, category.id) if category else set()
    form.parent_id.choices = [SelectChoice(0, _("(top level)"))] + [
        SelectChoice(c.id, "\u2003" * depth + c.name) for c, depth in tree if c.id not in excluded
    ]
    if request.method == "GET" and category is not None:
        form.parent_id.data = category.parent_id or 0
    return form


def _save(category: Category | None, form: CategoryForm) -> None:
    catalogue.save_category(
        db.session,
        category,
        name=form.name.data,
        parent_id=form.parent_id.data or None,
        position=form.position.data or 0,
    )
    db.session.commit()


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.GLOBAL_ADMIN)
def index() -> ResponseReturnValue:
    form = _form(None)
    if form.validate_on_submit():
        _save(None, form)
        flash(_("The category has been added."), "success")
        return redirect(url_for("categories.index"))
    return render_template(
        "courses/categories.html",
        tree=catalogue.category_tree(db.session),
        counts=catalogue.course_counts(db.session),
        form=form,
    )


@bp.route("/<id:category_id>", methods=["GET", "POST"])
@role_required(Role.GLOBAL_ADMIN)
def edit(category_id: int) -> ResponseReturnValue:
    category = catalogue.category_of(db.session, category_id)
    form = _form(category)
    if form.validate_on_submit():
        _save(category, form)
        flash(_("The category has been saved."), "success")
        return redirect(url_for("categories.index"))
    return render_template("courses/category_form.html", form=form, category=category)


@bp.route("/<id:category_id>/delete", methods=["POST"])
@role_required(Role.GLOBAL_ADMIN)
def delete(category_id: int) -> ResponseReturnValue:
    category = catalogue.category_of(db.session, category_id)
    try:
        catalogue.delete_category(db.session, category)
    except Conflict:
        flash(_("Only an empty category can be deleted: move its courses and subcategories first."), "error")
    else:
        db.session.commit()
        flash(_("The category has been deleted."), "info")
    return redirect(url_for("categories.index"))
