"""The app-wide handler turns the one family of domain errors into 404, 403, 422 and 409, as a page or as JSON, and
rolls back what the refused request began."""

from __future__ import annotations

from enum import StrEnum

import pytest
from flask import Flask

from lectern import domain
from lectern.extensions import db
from lectern.platform.models import Academy


class _Why(StrEnum):  # an area's own reasons
    FULL = "full"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (domain.NotFound(), 404),
        (domain.Forbidden(), 403),
        (domain.Invalid(field="title"), 422),
        (domain.Conflict(_Why.FULL, "The lecture is full.", limit=3), 409),
    ],
)
def test_each_domain_error_answers_its_status(app: Flask, error: domain.DomainError, status: int) -> None:
    @app.route("/_raise")
    def _raise() -> str:
        db.session.add(Academy(name="Half-made", slug="half-made", city="Rezekne", country="LV", timezone="UTC"))
        db.session.flush()
        raise error

    client = app.test_client()
    page = client.get("/_raise")
    assert page.status_code == status
    if error.message:
        assert error.message in page.get_data(as_text=True)
    answer = client.get("/_raise", headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert answer.get_json()["error"]["code"] == status
    with app.app_context():
        assert db.session.query(Academy).filter_by(name="Half-made").count() == 0


def test_a_reason_and_its_parameters_travel_with_the_error() -> None:
    error = domain.Conflict(_Why.FULL, limit=3)
    assert error.reason is _Why.FULL and error.params == {"limit": 3}
    assert domain.Invalid(field="email").field == "email"
    assert domain.NotFound().reason is domain.Reason.NOT_FOUND
