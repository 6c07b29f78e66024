"""The page cache (lectern/platform/cache.py): a bounded LRU, fragments with holes, and the generation that a
committed change to a watched model moves, in a file of the instance folder or in Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from flask import Flask
from jinja2 import Template
from markupsafe import Markup
from sqlalchemy import update

from lectern.courses.models import Course, Enrolment
from lectern.extensions import db
from lectern.platform import cache
from lectern.platform.cache import FileGenerations, Fragment, Lru, RedisGenerations, hole, page_cache
from lectern.platform.models import Academy, Role

REDIS_URL = "redis://127.0.0.1:6379/7"  # no other test uses this database


def test_the_lru_forgets_the_least_recently_used_and_the_old() -> None:
    lru = Lru(size=2, max_age=60)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "b" is now the least recently used
    lru.put("c", 3)
    assert lru.get("b") is cache._MISSING
    assert (lru.get("a"), lru.get("c"), len(lru)) == (1, 3, 2)
    old = Lru(size=2, max_age=0.01)
    old.put("a", 1)
    time.sleep(0.02)
    assert old.get("a") is cache._MISSING


def test_a_fragment_fills_its_holes_with_escaped_text_or_markup() -> None:
    html = Template("<p>{{ title }}</p>{{ hole('name') }}<i>{{ hole('badge') }}</i>{{ hole('none') }}", autoescape=True)
    fragment = Fragment.of(html.render(title="Risk", hole=hole))
    filled = fragment.fill({"name": "<b>Anna</b>", "badge": Markup("<em>ok</em>")})
    assert filled == "<p>Risk</p>&lt;b&gt;Anna&lt;/b&gt;<i><em>ok</em></i>"


def test_text_from_users_cannot_make_a_hole() -> None:
    """A course title that looks like a hole is escaped by the template, so it stays text in every page."""
    page = Template("<h3>{{ title }}</h3>{{ hole('enrolled-1') }}", autoescape=True)
    fragment = Fragment.of(page.render(title="<!--lectern-hole:enrolled-1-->", hole=hole))
    assert fragment.parts[1::2] == ("enrolled-1",)
    assert "&lt;!--lectern-hole:enrolled-1--&gt;" in fragment.fill({"enrolled-1": "Enrolled"})
    with pytest.raises(ValueError, match="not a hole name"):
        hole("name--><script>")


def test_the_file_generation_moves_with_each_bump_and_never_comes_back(tmp_path: Any) -> None:
    generations = FileGenerations(tmp_path / "sub" / "generation")
    first = generations.read()
    assert first is not None and first == generations.read()
    seen = {first}
    for _ in range(3):
        generations.bump()
        now = generations.read()
        assert now not in seen
        seen.add(now)
    (tmp_path / "sub" / "generation").unlink()  # someone clears the instance folder
    assert generations.read() not in seen


def test_the_redis_generation_is_shared_and_restarts_where_no_instance_has_been() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()
    first, second = RedisGenerations(REDIS_URL), RedisGenerations(REDIS_URL)
    before = first.read()
    assert before is not None and before == second.read()
    second.bump()
    assert first.read() not in {None, before}
    redis.Redis.from_url(REDIS_URL).flushdb()  # a Redis restarted empty
    assert first.read() not in {before, "r0", "r1"}
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_with_redis_down_nothing_is_cached(app: Flask) -> None:
    page_cache(app).generations = RedisGenerations("redis://127.0.0.1:1/0")  # nothing listens there
    made = []
    with app.test_request_context():
        assert cache.generation() is None
        for _ in range(2):
            cache.shared("key", lambda: made.append(1))
    assert len(made) == 2


def _generation(app: Flask) -> str | None:
    return page_cache(app).generations.read()


def test_a_committed_change_to_a_watched_model_moves_the_generation(app: Flask, make: Any) -> None:
    academy = make.academy()
    course = make.course(academy.id, title="Risk analysis")
    cadet = make.user(Role.CADET, academy)
    with app.app_context():
        before = _generation(app)
        db.session.add(Enrolment(course_id=course.id, user_id=cadet.id))  # not watched: no page shares it
        db.session.commit()
        assert _generation(app) == before
        db.session.get(Course, course.id).title = "Risk analysis (2nd edition)"
        db.session.flush()
        assert _generation(app) == before  # not before the commit: another request would cache the old title
        db.session.commit()
        changed = _generation(app)
        assert changed != before
        db.session.get(Course, course.id).title = "Abandoned"
        db.session.flush()
        db.session.rollback()
        assert _generation(app) == changed
        db.session.execute(update(Academy).where(Academy.id == academy.id).values(name="Renamed"))  # bulk
        db.session.commit()
        assert _generation(app) != changed


def test_a_request_reads_the_generation_once_and_sees_its_own_change(app: Flask, make: Any) -> None:
    academy = make.academy()
    with app.test_request_context():
        first = cache.generation()
        page_cache(app).generations.bump()  # another process's change, in the middle of this request
        elsewhere = page_cache(app).generations.read()
        assert cache.generation() == first
        assert cache.shared("k", lambda: "made") == "made"
        assert cache.shared("k", lambda: "again") == "made"
        db.session.get(Academy, academy.id).name = "Renamed"
        db.session.commit()  # this request's own change
        assert cache.generation() not in {first, elsewhere, None}
        assert cache.shared("k", lambda: "again") == "again"
