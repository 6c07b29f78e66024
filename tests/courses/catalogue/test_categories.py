"""The category tree: global administrators manage it; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lectern.courses.models import Category
from lectern.extensions import db
from lectern.platform.models import Role
from tests.courses.helpers import count


def test_global_admin_builds_the_tree(client, make, app):
    client.login(make.user(Role.GLOBAL_ADMIN).username)
    client.submit("/courses/categories/", {"name": "Customs", "parent_id": "0", "position": "1"})
    with app.app_context():
        customs = db.session.scalar(select(Category.id))
    client.submit("/courses/categories/", {"name": "Risk analysis", "parent_id": str(customs), "position": "0"})
    page = client.get("/courses/categories/").get_data(as_text=True)
    assert "Customs" in page and "Risk analysis" in page
    with app.app_context():
        child = db.session.scalar(select(Category).where(Category.name == "Risk analysis"))
        assert child.parent_id == customs
        child_id = child.id
    # A category cannot be moved inside its own subcategory.
    response = client.submit(f"/courses/categories/{customs}", {"name": "Customs", "parent_id": str(child_id)})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    # A category with subcategories (or courses) is not deleted.
    client.submit(f"/courses/categories/{customs}/delete", {}, page="/courses/categories/")
    assert count(app, Category) == 2
    client.submit(f"/courses/categories/{child_id}/delete", {}, page="/courses/categories/")
    assert count(app, Category) == 1


@pytest.mark.parametrize("role", [Role.ACADEMY_ADMIN, Role.INSTRUCTOR, Role.CADET])
def test_others_cannot_manage_categories(client, make, app, role):
    category = make.save(Category(name="Border control"))
    client.login(make.user(role).username)
    assert client.get("/courses/categories/").status_code == 403
    assert client.submit("/courses/categories/", {"name": "X", "parent_id": "0"}, page="/courses/").status_code == 403
    assert client.submit(f"/courses/categories/{category.id}", {"name": "X"}, page="/courses/").status_code == 403
    assert client.submit(f"/courses/categories/{category.id}/delete", {}, page="/courses/").status_code == 403
    assert count(app, Category) == 1
