"""The catalogue's category tree, managed by global administrators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from wtforms import SelectChoice

from lectern.courses import services
from lectern.courses.catalogue.forms import CategoryForm
from lectern.courses.models import Category, Course
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.models import Role
from lectern.platform.roles import role_required

bp = Blueprint("categories", __name__, url_prefix="/courses/categories")


def _form(category: Category | None) -> CategoryForm:
    form = CategoryForm(obj=category)
    tree = services.category_tree(db.session)
    # A category cannot go inside itself or its own descendants.
    excluded = services.descendants(db.session, category.id) if category else set()
    form.parent_id.choices = [SelectChoice(0, _("(top level)"))] + [
        SelectChoice(c.id, "\u2003" * depth + c.name) for c, depth in tree if c.id not in excluded
    ]
    if request.method == "GET" and category is not None:
        form.parent_id.data = category.parent_id or 0
    return form


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.GLOBAL_ADMIN)
def index() -> ResponseReturnValue:
    form = _form(None)
    if form.validate_on_submit():
        db.session.add(
            Category(
                name=form.name.data.strip(), parent_id=form.parent_id.data or None, position=form.position.data or 0
            )
        )
        db.session.commit()
        flash(_("The category has been added."), "success")
        return redirect(url_for("categories.index"))
    counts = dict(db.session.execute(select(Course.category_id, func.count()).group_by(Course.category_id)).all())
    return render_template("courses/categories.html", tree=services.category_tree(db.session), counts=counts, form=form)


@bp.route("/<id:category_id>", methods=["GET", "POST"])
@role_required(Role.GLOBAL_ADMIN)
def edit(category_id: int) -> ResponseReturnValue:
    category = db.session.get(Category, category_id) or abort(404)
    form = _form(category)
    if form.validate_on_submit():
        category.name = form.name.data.strip()
        category.parent_id = form.parent_id.data or None
        category.position = form.position.data or 0
        db.session.commit()
        flash(_("The category has been saved."), "success")
        return redirect(url_for("categories.index"))
    return render_template("courses/category_form.html", form=form, category=category)


@bp.route("/<id:category_id>/delete", methods=["POST"])
@role_required(Role.GLOBAL_ADMIN)
def delete(category_id: int) -> ResponseReturnValue:
    category = db.session.get(Category, category_id) or abort(404)
    in_use = db.session.scalar(select(func.count()).where(Course.category_id == category_id))
    has_children = db.session.scalar(select(func.count()).where(Category.parent_id == category_id))
    if in_use or has_children:
        flash(_("Only an empty category can be deleted: move its courses and subcategories first."), "error")
    else:
        db.session.delete(category)
        db.session.commit()
        flash(_("The category has been deleted."), "info")
    return redirect(url_for("categories.index"))
