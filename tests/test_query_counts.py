"""The number of SQL statements a request runs does not grow with the data (no N+1 queries)."""

import contextlib

import flask
import pytest
from sqlalchemy import and_, event, select
from sqlalchemy.orm import Session

from models import Course, CourseMembership, Lesson, LessonCompletion, Section, User
from tests.support.http import API
from tests.support.tokens import auth


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
def test_course_requests_cost_the_same_with_1_or_500_sections(app, client, make, alice, method, suffix, body):
    counts = []
    # A reorder needs two sections to change anything; a single one would save its UPDATE.
    for size in (2 if body else 1, 500):
        course = make.course(alice, sections=size, categories=[make.category(), make.category()])
        json = {"sections_order": [s.id for s in reversed(course.sections)]} if body else None
        counts.append(statements_for(app, client, method, f"{API}/course/{course.id}{suffix}", alice, json=json))
    assert counts[0] == counts[1]


def course_with_lessons(db, make, creator, sections, lessons, members, **fields):
    """A course of `sections` × `lessons` published lessons and `members` joined users, the first of whom
    completed the first half of the lessons (in course order). Rows are written in bulk: the factory's
    one commit per row would make the big cases slow."""
    course = make.course(creator, sections=sections, **fields)
    ordered = sorted(course.sections, key=lambda section: section.position)
    rows = [
        Lesson(
            course_id=course.id,
            section_id=section.id,
            name=f"Lesson {section.position}.{n}",
            status="published",
            position=n,
            created_by_id=creator.id,
            html="<p>Text</p>",
        )
        for section in ordered
        for n in range(lessons)
    ]
    db.add_all(rows)
    people = [User(username=f"member-{course.id}-{n}", real_name="") for n in range(members)]
    db.add_all(people)
    db.flush()
    db.add_all(CourseMembership(course_id=course.id, user_id=user.id, role="joined") for user in people)
    half = len(rows) // 2
    db.add_all(
        LessonCompletion(lesson_id=lesson.id, user_id=people[0].id, course_id=course.id) for lesson in rows[:half]
    )
    db.commit()
    return course, rows, people[0], half


def lesson_url(lesson, *rest):
    return f"{API}/course/{lesson.course_id}/section/{lesson.section_id}/lesson/{lesson.id}/" + "".join(
        f"{part}/" for part in rest
    )


# (sections, lessons per section, members): the smallest and the largest of each, and both at once.
SIZES = [(2, 2, 1), (20, 25, 1), (2, 2, 200), (20, 25, 200)]
# Who asks, and what; `first_open` is the member's next lesson, `last_done` the last one they completed.
LESSON_REQUESTS = {
    "view-user-as-member": ("member", "GET", lambda c, first_open, last_done: f"{API}/course/{c.id}/"),
    "view-edit": ("creator", "GET", lambda c, first_open, last_done: f"{API}/course/{c.id}/?view=edit"),
    "view-dashboard": ("creator", "GET", lambda c, first_open, last_done: f"{API}/course/{c.id}/?view=dashboard"),
    "view-user-of-a-member": ("creator", "GET", lambda c, first_open, last_done: f"{API}/course/{c.id}/?user="),
    "list-lessons": (
        "creator",
        "GET",
        lambda c, first_open, last_done: f"{API}/course/{c.id}/section/{first_open.section_id}/lesson/",
    ),
    "get-lesson-as-member": ("member", "GET", lambda c, first_open, last_done: lesson_url(first_open)),
    "complete": ("member", "POST", lambda c, first_open, last_done: lesson_url(first_open, "complete")),
    "incomplete": ("member", "POST", lambda c, first_open, last_done: lesson_url(last_done, "incomplete")),
}


@pytest.mark.parametrize("request_id", LESSON_REQUESTS)
def test_lesson_requests_cost_the_same_whatever_the_size_of_the_course(app, client, db, make, alice, request_id):
    """The issue's bar: 2×2 or 20×25 sections × lessons, 1 or 200 members, the same number of statements.

    A structured course that enforces the order (every section open from the day of joining), so that
    drip dates and order locks are both worked out; the member has done the first half.
    """
    who, method, url_of = LESSON_REQUESTS[request_id]
    counts = {}
    for size in SIZES:
        course, lessons, member, half = course_with_lessons(
            db, make, alice, *size, type="structured", enforce_lessons_order=True
        )
        url = url_of(course, lessons[half], lessons[half - 1])
        if url.endswith("?user="):
            url += str(member.id)
        counts[size] = statements_for(app, client, method, url, member if who == "member" else alice)
    assert len(set(counts.values())) == 1, counts


def test_list_sections_costs_the_same_with_few_or_many_lessons(app, client, db, make, alice):
    counts = {}
    for size in SIZES:
        course, *_ = course_with_lessons(db, make, alice, *size)
        counts[size] = statements_for(app, client, "GET", f"{API}/course/{course.id}/section/", alice)
    assert len(set(counts.values())) == 1, counts


@contextlib.contextmanager
def loading_sections():
    """The ids of the Section rows the ORM builds objects for meanwhile."""
    loaded = []

    def on_load(section, context):
        loaded.append(section.id)

    event.listen(Section, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(Section, "load", on_load)


@pytest.mark.parametrize(
    ("method", "on_section", "json"),
    [
        ("PATCH", True, {"name": "Renamed"}),
        ("PUT", True, {"name": "Rewritten", "drip_delay": 2}),
        ("DELETE", True, None),
        ("POST", False, {"name": "One more"}),
    ],
    ids=["patch", "put", "delete", "create"],
)
def test_section_writes_read_no_other_section(app, client, make, alice, method, on_section, json):
    counts = []
    for size in (1, 500):
        course = make.course(alice, sections=size)
        target = course.sections[size // 2]
        url = f"{API}/course/{course.id}/section/" + (f"{target.id}/" if on_section else "")
        with loading_sections() as loaded:
            counts.append(statements_for(app, client, method, url, alice, json=json))
        assert loaded == ([target.id] if on_section else [])
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "path", ["/course/search/?search=match&limit=100", "/course/?limit=100"], ids=["search", "mine"]
)
def test_listings_cost_the_same_for_1_or_100_matches(app, client, make, alice, bob, path):
    counts = []
    for size in (1, 100):
        for n in range(size):
            course = make.course(
                bob, name=f"match {size}-{n}", sections=3, joined=[alice], categories=[make.category()]
            )
            assert course.id
        counts.append(statements_for(app, client, "GET", f"{API}{path}", alice))
    assert counts[0] == counts[1]


def search_plan(app, term: str, user=None) -> str:
    """The database's plan for the search query's WHERE clause, as text.

    Without `user`, the text match alone; with one, all that their search applies (what they may see,
    and where the term may match for them).
    """
    from api.rules import access, search

    engine = app.app.extensions["course_api.engine"]
    with app.app.test_request_context(), Session(engine) as db:
        flask.g.db_session = db
        if user is None:
            where = search._containing(term)
        else:
            me = db.get(type(user), user.id)
            where = and_(access.visible_to(me), search.search_matches(me, term))
        query = select(Course.id).where(where)
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table would be scanned anyway
                rows = connection.exec_driver_sql(f"EXPLAIN {compiled}").all()
            else:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        flask.g.pop("db_session")
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("term", ["watercolour", "ÉCOLE", 'say "hi"'])
def test_search_uses_the_index(app, make, alice, term):
    make.course(alice, name="Watercolour école")

    plan = search_plan(app, term.casefold())

    assert ("courses_search" in plan) or ("ix_courses_search_text_trgm" in plan), plan


def test_the_index_follows_renames_and_deletes(client, make, alice, db):
    course = make.course(alice, name="Watercolour basics", description="Wet on wet")
    search = f"{API}/course/search/"

    def found(term):
        return [c["id"] for c in client.get(search, params={"search": term}, headers=auth(alice)).json()["results"]]

    assert found("watercolour") == [course.id] and found("wet on") == [course.id]
    client.patch(f"{API}/course/{course.id}/", json={"name": "Oil painting"}, headers=auth(alice))
    assert found("watercolour") == [] and found("oil pai") == [course.id] and found("wet on") == [course.id]
    client.delete(f"{API}/course/{course.id}/", headers=auth(alice))
    assert found("oil pai") == []
