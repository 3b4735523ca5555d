"""The number of SQL statements a request runs does not grow with the data (no N+1 queries)."""

import contextlib

import pytest
from sqlalchemy import event

from tests.conftest import API, auth


@contextlib.contextmanager
def counting(app):
    engine = app.app.extensions["course_api.engine"]
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(app, client, method, url, user, **kwargs):
    with counting(app) as statements:
        response = client.request(method, url, headers=auth(user), **kwargs)
    assert response.status_code < 300, response.text
    return len(statements)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "/", None),
        ("GET", "/?view=edit", None),
        ("GET", "/section/", None),
        ("PATCH", "/", "reversed"),
    ],
    ids=["get", "get-edit", "list-sections", "reorder"],
)
def test_course_requests_cost_the_same_with_2_or_200_sections(app, client, make, alice, method, suffix, body):
    counts = []
    for size in (2, 200):
        course = make.course(alice, sections=size, categories=[make.category(), make.category()])
        json = {"sections_order": [s.id for s in reversed(course.sections)]} if body else None
        counts.append(statements_for(app, client, method, f"{API}/course/{course.id}{suffix}", alice, json=json))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("path", ["/course/search/?search=match", "/course/?limit=100"], ids=["search", "mine"])
def test_listings_cost_the_same_for_1_or_40_matches(app, client, make, alice, bob, path):
    counts = []
    for size in (1, 40):
        for n in range(size):
            course = make.course(
                bob, name=f"match {size}-{n}", sections=3, joined=[alice], categories=[make.category()]
            )
            assert course.id
        counts.append(statements_for(app, client, "GET", f"{API}{path}", alice))
    assert counts[0] == counts[1]
