"""The member lists and the dashboard run as many SQL statements for 1 member as for 500."""

import pytest
from sqlalchemy import insert

from models import Course, CourseMembership, LessonCompletion, User
from models.base import utcnow
from tests.support.http import API
from tests.test_query_counts import statements_for

# (path under the course, role of the listed users); limit=100, so the big case fills whole pages.
LISTS = {
    "members": ("join/?limit=100&statuses=creator&statuses=manager&statuses=joined", "joined"),
    "dashboard": ("users/?limit=100&statuses=joined&statuses=invited&ordering=-last_active_at", "joined"),
    "dashboard-search": ("users/?limit=100&search=member", "joined"),
    "invited": ("invite/?limit=100", "invited"),
    "requests": ("request_join/?limit=100&search=member", "requested"),
    "suggested": ("user/?limit=100&search=member", None),
}


def crowded_course(db, make, creator, people: int, role: str | None, sections=2, lessons=3):
    """A course whose `people` users hold `role` (None: no status, for the suggestions), each of whom
    completed the first lesson. Rows are written in bulk: one commit per row would make 500 slow."""
    course = make.course(creator, privacy="private", sections=sections)
    lesson_rows = [make.lesson(section) for section in course.sections for _ in range(lessons)]
    now = utcnow()
    rows = [{"username": f"member-{course.id}-{n}", "real_name": ""} for n in range(people)]
    user_ids = db.execute(insert(User).returning(User.id), rows).scalars().all()
    if role is not None:
        db.execute(
            insert(CourseMembership),
            [
                {"course_id": course.id, "user_id": u, "role": role, "created_at": now, "joined_at": now}
                for u in user_ids
            ],
        )
    db.execute(
        insert(LessonCompletion),
        [{"lesson_id": lesson_rows[0].id, "user_id": u, "course_id": course.id, "created_at": now} for u in user_ids],
    )
    db.commit()
    return db.get(Course, course.id)


@pytest.mark.parametrize("name", LISTS)
def test_member_lists_cost_the_same_for_1_or_500_people(app, client, db, make, alice, name):
    path, role = LISTS[name]
    counts = {}
    for size in (1, 500):
        course = crowded_course(db, make, alice, size, role)
        counts[size] = statements_for(app, client, "GET", f"{API}/course/{course.id}/{path}", alice)
    assert counts[1] == counts[500], counts


def test_joining_costs_the_same_in_a_course_of_1_or_500_members(app, client, db, make, alice):
    counts = {}
    for size in (1, 500):
        course = crowded_course(db, make, alice, size, "joined")
        course.privacy = "open"
        db.commit()
        newcomer = make.user()
        counts[size] = statements_for(app, client, "POST", f"{API}/course/{course.id}/join/", newcomer)
    assert counts[1] == counts[500], counts
