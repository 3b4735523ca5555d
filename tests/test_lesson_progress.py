"""A caller's way through a course as GET /course/{id}/ shows it: drip, order, counts, next lesson, dashboard."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from models import CourseMembership
from tests.support.http import COURSES, course_url, error_codes, problem
from tests.support.tokens import auth

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OPEN = {"locked": False, "lock": None}


def at(moment):
    """Freeze the clock at `moment` (the service's and the tokens')."""
    return time_machine.travel(moment, tick=False)


def iso(moment):
    return moment.isoformat()


def build(make, db, creator, layout, *, joined=(), managers=(), **course_fields):
    """A course whose sections are `layout`: (section fields, [lesson status, ...]) each.

    Returns the course, its section ids and, per section, the ids of its lessons in order.
    """
    course = make.course(creator, sections=len(layout), joined=joined, managers=managers, **course_fields)
    lessons = []
    for section, (fields, statuses) in zip(course.sections, layout, strict=True):
        for name, value in fields.items():
            setattr(section, name, value)
        db.commit()
        lessons.append([make.lesson(section, status=status).id for status in statuses])
    return course, [section.id for section in course.sections], lessons


def seen(client, caller, course, **params):
    response = client.get(course_url(course), params=params, headers=auth(caller))
    assert response.status_code == 200, response.text
    return response.json()


def mark(client, user, course, section_id, lesson_id, what="complete"):
    response = client.post(course_url(course, "section", section_id, "lesson", lesson_id, what), headers=auth(user))
    assert response.status_code == 204, response.text


def publish(client, user, course, section_id, lesson_id, status="published"):
    response = client.patch(
        course_url(course, "section", section_id, "lesson", lesson_id), json={"status": status}, headers=auth(user)
    )
    assert response.status_code == 200, response.text


def locks(body):
    """Per section: (section lock, [lesson lock, ...]), with `locked` checked against `lock`."""
    for item in [*body["sections"], *(lesson for s in body["sections"] for lesson in s["lessons"])]:
        assert item["locked"] is (item["lock"] is not None)
    return [(s["lock"], [lesson["lock"] for lesson in s["lessons"]]) for s in body["sections"]]


def lesson_ids(body):
    return [[lesson["id"] for lesson in s["lessons"]] for s in body["sections"]]


def counts(body):
    return body["num_lessons"], body["num_lessons_completed"], body["user_completion_rate"]


def drip(moment):
    return {"reason": "drip", "available_at": iso(moment)}


ORDER = {"reason": "order", "available_at": None}
NOT_JOINED = {"reason": "not_joined", "available_at": None}


class TestScheduled:
    def test_sections_open_at_their_dripped_at(self, client, make, db, alice, bob):
        past, future = START - timedelta(days=1), START + timedelta(hours=6)
        with at(START):
            course, sections, lessons = build(
                make, db, alice,
                [({"dripped_at": past}, ["published"]), ({"dripped_at": future}, ["published"]),
                 ({"dripped_at": None}, ["published"])],
                joined=[bob], type="scheduled",
            )  # fmt: skip
            body = seen(client, bob, course)

        assert [s["available_date"] for s in body["sections"]] == [iso(past), iso(future), None]
        assert locks(body) == [(None, [None]), (drip(future), [drip(future)]), (None, [None])]
        assert body["next_lesson"] == {"section_id": sections[0], "lesson_id": lessons[0][0]}

        with at(future - timedelta(seconds=1)):
            assert locks(seen(client, bob, course))[1] == (drip(future), [drip(future)])
        with at(future):
            assert locks(seen(client, bob, course))[1] == (None, [None])

    def test_drip_delay_means_nothing_in_a_scheduled_course(self, client, make, db, alice, bob):
        with at(START):
            course, _, _ = build(
                make,
                db,
                alice,
                [({"drip_delay": 30, "dripped_at": None}, ["published"])],
                joined=[bob],
                type="scheduled",
            )
            body = seen(client, bob, course)

        assert body["sections"][0]["available_date"] is None
        assert locks(body) == [(None, [None])]


class TestStructured:
    def test_sections_open_drip_delay_days_after_joining(self, client, make, db, alice, bob):
        with at(START):
            course, sections, lessons = build(
                make, db, alice,
                [({"drip_delay": 0}, ["published"]), ({"drip_delay": 1}, ["published", "published"]),
                 ({"drip_delay": 3, "dripped_at": START - timedelta(days=9)}, ["published"])],
                type="structured",
            )  # fmt: skip
        joined = START + timedelta(hours=2)
        with at(joined):
            db.add(CourseMembership(course_id=course.id, user_id=bob.id, role="joined"))
            db.commit()
            body = seen(client, bob, course)

        day1, day3 = joined + timedelta(days=1), joined + timedelta(days=3)
        assert [s["available_date"] for s in body["sections"]] == [iso(joined), iso(day1), iso(day3)]
        assert locks(body) == [(None, [None]), (drip(day1), [drip(day1)] * 2), (drip(day3), [drip(day3)])]

        with at(day1 - timedelta(seconds=1)):
            problem(
                client.get(course_url(course, "section", sections[1], "lesson", lessons[1][0]), headers=auth(bob)), 403
            )
        with at(day1):
            assert locks(seen(client, bob, course))[1] == (None, [None, None])
            mark(client, bob, course, sections[1], lessons[1][0])
        with at(day3):
            assert locks(seen(client, bob, course)) == [(None, [None]), (None, [None, None]), (None, [None])]

    def test_each_member_has_their_own_dates(self, client, make, db, alice, bob):
        carol = make.user(username="carol")
        with at(START):
            course, _, _ = build(make, db, alice, [({"drip_delay": 2}, ["published"])], joined=[bob], type="structured")
        with at(START + timedelta(days=1)):
            db.add(CourseMembership(course_id=course.id, user_id=carol.id, role="joined"))
            db.commit()
        with at(START + timedelta(days=2)):
            assert locks(seen(client, bob, course)) == [(None, [None])]
            later = START + timedelta(days=3)
            assert locks(seen(client, carol, course)) == [(drip(later), [drip(later)])]

    def test_a_role_change_keeps_joined_at(self, client, make, db, alice, bob):
        with at(START):
            course, _, _ = build(make, db, alice, [({"drip_delay": 5}, ["published"])], joined=[bob], type="structured")
        with at(START + timedelta(days=2)):
            for change in ({"managers": [bob.id]}, {"joined": [bob.id]}):
                response = client.post(course_url(course, "role"), json=change, headers=auth(alice))
                assert response.status_code == 204, response.text
            body = seen(client, bob, course)

        assert body["join_status"] == "joined"
        assert body["sections"][0]["available_date"] == iso(START + timedelta(days=5))

    def test_nothing_is_locked_for_the_editors(self, client, make, db, people):
        with at(START):
            course, _, _ = build(
                make, db, people["creator"], [({"drip_delay": 10}, ["published"])],
                managers=[people["manager"]], type="structured", enforce_lessons_order=True,
            )  # fmt: skip
            for role in ("creator", "manager"):
                body = seen(client, people[role], course)
                assert locks(body) == [(None, [None])], role
                assert body["join_status"] == role


class TestSelfPaced:
    def test_no_dates_and_nothing_locked(self, client, make, db, alice, bob):
        with at(START):
            course, sections, lessons = build(
                make, db, alice,
                [({"drip_delay": 7, "dripped_at": START + timedelta(days=7)}, ["published"]), ({}, ["published"])],
                joined=[bob], type="self-paced",
            )  # fmt: skip
            body = seen(client, bob, course)

        assert [s["available_date"] for s in body["sections"]] == [None, None]
        assert locks(body) == [(None, [None]), (None, [None])]
        assert body["next_lesson"] == {"section_id": sections[0], "lesson_id": lessons[0][0]}


class TestOrder:
    def test_lessons_after_an_uncompleted_one_are_locked(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published", "draft", "published"]), ({}, ["published"])],
            joined=[bob], enforce_lessons_order=True,
        )  # fmt: skip
        (a, _draft, b), (c,) = lessons
        url = course_url(course, "section", sections[1], "lesson", c)

        body = seen(client, bob, course)
        assert lesson_ids(body) == [[a, b], [c]]
        # An order lock is on lessons only: the sections themselves are open.
        assert locks(body) == [(None, [None, ORDER]), (None, [ORDER])]
        assert error_codes(problem(client.get(url, headers=auth(bob)), 403)) == {None: ["locked"]}

        mark(client, bob, course, sections[0], a)
        assert locks(seen(client, bob, course)) == [(None, [None, None]), (None, [ORDER])]
        mark(client, bob, course, sections[0], b)
        body = seen(client, bob, course)
        assert locks(body) == [(None, [None, None]), (None, [None])]
        assert body["next_lesson"] == {"section_id": sections[1], "lesson_id": c}
        assert client.get(url, headers=auth(bob)).status_code == 200

        # Un-completing the first lesson locks everything after it again, completed or not.
        mark(client, bob, course, sections[0], a, "incomplete")
        body = seen(client, bob, course)
        assert locks(body) == [(None, [None, ORDER]), (None, [ORDER])]
        assert [lesson["completion_status"] for lesson in body["sections"][0]["lessons"]] == [
            "uncompleted",
            "completed",
        ]
        assert body["next_lesson"] == {"section_id": sections[0], "lesson_id": a}
        problem(client.get(url, headers=auth(bob)), 403)

    def test_the_order_follows_sections_order(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published"]), ({}, ["published"])], joined=[bob], enforce_lessons_order=True
        )
        response = client.patch(course_url(course), json={"sections_order": sections[::-1]}, headers=auth(alice))
        assert response.status_code == 200, response.text

        body = seen(client, bob, course)

        assert lesson_ids(body) == [lessons[1], lessons[0]]
        assert locks(body) == [(None, [None]), (None, [ORDER])]

    def test_without_enforce_lessons_order_nothing_is_order_locked(self, client, make, db, alice, bob):
        course, _, _ = build(make, db, alice, [({}, ["published", "published"])], joined=[bob])

        assert locks(seen(client, bob, course)) == [(None, [None, None])]


class TestWhatAMemberSees:
    def test_published_lessons_only_and_no_trace_of_drafts(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice,
            [({}, ["draft", "published", "draft"]), ({}, ["draft"]), ({}, []), ({}, ["published"])],
            joined=[bob],
        )  # fmt: skip
        drafts = {lessons[0][0], lessons[0][2], lessons[1][0]}

        body = seen(client, bob, course)

        assert [s["id"] for s in body["sections"]] == [sections[0], sections[3]]
        assert lesson_ids(body) == [[lessons[0][1]], [lessons[3][0]]]
        assert [s["lessons_order"] for s in body["sections"]] == [[lessons[0][1]], [lessons[3][0]]]
        assert [s["num_lessons"] for s in body["sections"]] == [1, 1]
        assert (body["num_sections"], body["num_lessons"]) == (2, 2)
        shown = {lesson["id"] for s in body["sections"] for lesson in s["lessons"]}
        shown |= {lesson_id for s in body["sections"] for lesson_id in s["lessons_order"]}
        assert shown.isdisjoint(drafts)
        assert all(lesson["status"] == "published" for s in body["sections"] for lesson in s["lessons"])

    def test_publishing_a_draft_shows_it(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["draft"])], joined=[bob])
        assert seen(client, bob, course)["sections"] == []

        publish(client, alice, course, sections[0], lessons[0][0])

        assert lesson_ids(seen(client, bob, course)) == lessons

    def test_a_stranger_of_an_open_course_sees_everything_locked(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published", "draft"]), ({"drip_delay": 3}, ["published"])], type="structured"
        )

        body = seen(client, bob, course)

        assert body["join_status"] is None
        assert lesson_ids(body) == [[lessons[0][0]], lessons[1]]
        assert locks(body) == [(NOT_JOINED, [NOT_JOINED]), (NOT_JOINED, [NOT_JOINED])]
        assert [s["available_date"] for s in body["sections"]] == [None, None]
        assert (counts(body), body["next_lesson"], body["completed_at"]) == ((2, 0, 0), None, None)

    def test_a_stranger_of_a_private_course_sees_its_minimal_form(self, client, make, db, alice, bob):
        course, _, _ = build(make, db, alice, [({}, ["published"])], privacy="private")

        body = seen(client, bob, course)

        assert "sections" not in body and "num_lessons" not in body and "revision" not in body
        assert body["user_completion_rate"] == 0


class TestCounts:
    def test_rate_is_rounded_down(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published", "published"]), ({}, ["published", "draft"])], joined=[bob]
        )
        assert counts(seen(client, bob, course)) == (3, 0, 0)

        expected = [(3, 1, 33), (3, 2, 66), (3, 3, 100)]
        order = [(sections[0], lessons[0][0]), (sections[1], lessons[1][0]), (sections[0], lessons[0][1])]
        for (section_id, lesson_id), numbers in zip(order, expected, strict=True):
            mark(client, bob, course, section_id, lesson_id)
            assert counts(seen(client, bob, course)) == numbers

        body = seen(client, bob, course)
        assert [(s["num_lessons"], s["num_lessons_completed"]) for s in body["sections"]] == [(2, 2), (1, 1)]
        assert body["num_sections"] == 2

    def test_no_lessons_is_rate_0(self, client, make, db, alice, bob):
        course, _, _ = build(make, db, alice, [({}, []), ({}, ["draft"])], joined=[bob])

        body = seen(client, bob, course)

        assert (counts(body), body["num_sections"], body["sections"]) == ((0, 0, 0), 0, [])
        assert (body["completed_at"], body["next_lesson"]) == (None, None)

    def test_completions_of_drafts_are_kept_but_not_counted(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["published", "published"])], joined=[bob])
        mark(client, bob, course, sections[0], lessons[0][0])
        assert counts(seen(client, bob, course)) == (2, 1, 50)

        publish(client, alice, course, sections[0], lessons[0][0], "draft")
        assert counts(seen(client, bob, course)) == (1, 0, 0)

        publish(client, alice, course, sections[0], lessons[0][0])
        assert counts(seen(client, bob, course)) == (2, 1, 50)

    def test_deleting_a_completed_lesson_drops_it_from_the_counts(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published", "published", "published"])], joined=[bob]
        )
        mark(client, bob, course, sections[0], lessons[0][0])
        assert counts(seen(client, bob, course)) == (3, 1, 33)

        response = client.delete(
            course_url(course, "section", sections[0], "lesson", lessons[0][0]), headers=auth(alice)
        )
        assert response.status_code == 204

        assert counts(seen(client, bob, course)) == (2, 0, 0)

    def test_completion_status_per_lesson(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["published", "published"])], joined=[bob])
        mark(client, bob, course, sections[0], lessons[0][1])

        statuses = [lesson["completion_status"] for lesson in seen(client, bob, course)["sections"][0]["lessons"]]

        assert statuses == ["uncompleted", "completed"]

    def test_an_editor_sees_their_own_progress(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["published", "published"])], joined=[bob])
        mark(client, bob, course, sections[0], lessons[0][0])
        mark(client, bob, course, sections[0], lessons[0][1])
        mark(client, alice, course, sections[0], lessons[0][1])

        assert counts(seen(client, alice, course)) == (2, 1, 50)
        assert counts(seen(client, bob, course)) == (2, 2, 100)


class TestCompletedAt:
    def test_set_when_everything_is_completed_and_cleared_when_not(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["published", "published", "draft"])], joined=[bob])
        (a, b, draft), section = lessons[0], sections[0]
        with at(START):
            mark(client, bob, course, section, a)
            assert seen(client, bob, course)["completed_at"] is None
        with at(START + timedelta(hours=1)):
            mark(client, bob, course, section, b)
            body = seen(client, bob, course)
        assert body["completed_at"] == iso(START + timedelta(hours=1))
        assert (body["user_completion_rate"], body["next_lesson"]) == (100, None)

        mark(client, bob, course, section, a, "incomplete")
        assert seen(client, bob, course)["completed_at"] is None

        with at(START + timedelta(hours=2)):
            mark(client, bob, course, section, a)
            assert seen(client, bob, course)["completed_at"] == iso(START + timedelta(hours=2))

        # A newly published lesson makes the course unfinished again.
        publish(client, alice, course, section, draft)
        body = seen(client, bob, course)
        assert (body["completed_at"], body["user_completion_rate"]) == (None, 66)
        assert body["next_lesson"] == {"section_id": section, "lesson_id": draft}

    def test_a_new_lesson_created_published_clears_it(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["published"])], joined=[bob])
        mark(client, bob, course, sections[0], lessons[0][0])
        assert seen(client, bob, course)["completed_at"] is not None

        response = client.post(
            course_url(course, "section", sections[0], "lesson"), json={"name": "New", "status": "published"},
            headers=auth(alice),
        )  # fmt: skip
        assert response.status_code == 201

        assert seen(client, bob, course)["completed_at"] is None


class TestNextLesson:
    def test_first_open_uncompleted_lesson_in_course_order(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published", "published"]), ({}, ["draft", "published"])], joined=[bob]
        )
        mark(client, bob, course, sections[0], lessons[0][0])
        assert seen(client, bob, course)["next_lesson"] == {"section_id": sections[0], "lesson_id": lessons[0][1]}

        mark(client, bob, course, sections[0], lessons[0][1])
        # The draft is skipped.
        assert seen(client, bob, course)["next_lesson"] == {"section_id": sections[1], "lesson_id": lessons[1][1]}

    def test_skips_a_completed_lesson_before_an_open_one(self, client, make, db, alice, bob):
        course, sections, lessons = build(make, db, alice, [({}, ["published", "published"])], joined=[bob])
        mark(client, bob, course, sections[0], lessons[0][0])

        assert seen(client, bob, course)["next_lesson"] == {"section_id": sections[0], "lesson_id": lessons[0][1]}

    def test_none_while_the_rest_is_drip_locked(self, client, make, db, alice, bob):
        with at(START):
            course, sections, lessons = build(
                make, db, alice, [({}, ["published"]), ({"dripped_at": START + timedelta(days=1)}, ["published"])],
                joined=[bob], type="scheduled",
            )  # fmt: skip
            mark(client, bob, course, sections[0], lessons[0][0])
            assert seen(client, bob, course)["next_lesson"] is None
        with at(START + timedelta(days=1)):
            assert seen(client, bob, course)["next_lesson"] == {"section_id": sections[1], "lesson_id": lessons[1][0]}


class TestDashboard:
    def dashboard(self, client, user, course):
        return seen(client, user, course, view="dashboard")

    def test_mean_of_exact_rates_rounded_down(self, client, make, db, people, bob):
        carol = make.user(username="carol")
        course, sections, lessons = build(
            make, db, people["creator"], [({}, ["published"] * 4)], joined=[bob, carol], managers=[people["manager"]]
        )
        (a, b, c, unpublished), section = lessons[0], sections[0]
        assert self.dashboard(client, people["creator"], course)["avg_completion_rate"] == 0
        # A completion of a lesson that is a draft again is not counted.
        mark(client, bob, course, section, unpublished)
        publish(client, people["creator"], course, section, unpublished, "draft")

        # 1/3 and 2/3: the exact rates average to 50, their rounded values (33, 66) would give 49.
        mark(client, bob, course, section, a)
        mark(client, carol, course, section, a)
        mark(client, carol, course, section, b)
        # Editors' own progress is not a member's.
        for lesson_id in (a, b, c):
            mark(client, people["creator"], course, section, lesson_id)
            mark(client, people["manager"], course, section, lesson_id)

        body = self.dashboard(client, people["manager"], course)
        assert body["avg_completion_rate"] == 50
        # Around the average: the editor's own outline and progress, as view=user shows it to them.
        assert {key: value for key, value in body.items() if key != "avg_completion_rate"} == seen(
            client, people["manager"], course
        )
        assert counts(body) == (3, 3, 100)

        mark(client, carol, course, section, b, "incomplete")
        # 1/3 and 1/3: 33.3... rounded down.
        assert self.dashboard(client, people["creator"], course)["avg_completion_rate"] == 33

    def test_zero_without_members_or_without_lessons(self, client, make, db, alice, bob):
        lonely, sections, lessons = build(make, db, alice, [({}, ["published"])])
        mark(client, alice, lonely, sections[0], lessons[0][0])
        empty, _, _ = build(make, db, alice, [({}, ["draft"])], joined=[bob])

        assert self.dashboard(client, alice, lonely)["avg_completion_rate"] == 0
        assert self.dashboard(client, alice, empty)["avg_completion_rate"] == 0

    @pytest.mark.parametrize("role", ["joined", "stranger"])
    def test_only_for_editors(self, client, make, db, people, role):
        course, _, _ = build(make, db, people["creator"], [({}, ["published"])], joined=[people["joined"]])

        response = client.get(course_url(course), params={"view": "dashboard"}, headers=auth(people[role]))

        problem(response, 403)


class TestAsAnotherUser:
    def test_an_editor_sees_a_members_progress(self, client, make, db, people, bob):
        with at(START):
            course, sections, lessons = build(
                make, db, people["creator"],
                [({"drip_delay": 0}, ["published", "published"]), ({"drip_delay": 2}, ["published"])],
                joined=[bob], managers=[people["manager"]], type="structured",
            )  # fmt: skip
            mark(client, bob, course, sections[0], lessons[0][0])
            mine = seen(client, bob, course)
            for role in ("creator", "manager"):
                theirs = seen(client, people[role], course, user=bob.id)
                assert theirs["join_status"] == "joined"
                assert counts(theirs) == (3, 1, 33)
                day2 = drip(START + timedelta(days=2))
                assert locks(theirs) == [(None, [None, None]), (day2, [day2])]
                assert theirs == mine

    def test_as_a_manager_or_the_creator(self, client, make, db, people):
        course, sections, lessons = build(
            make, db, people["creator"], [({}, ["published"])], managers=[people["manager"]], enforce_lessons_order=True
        )
        mark(client, people["manager"], course, sections[0], lessons[0][0])

        body = seen(client, people["creator"], course, user=people["manager"].id)

        assert (body["join_status"], counts(body)) == ("manager", (1, 1, 100))
        assert seen(client, people["manager"], course, user=people["creator"].id)["join_status"] == "creator"

    @pytest.mark.parametrize("view", ["edit", "dashboard"])
    def test_other_views_ignore_it(self, client, make, db, people, view):
        course, sections, lessons = build(make, db, people["creator"], [({}, ["published"])], joined=[people["joined"]])
        mark(client, people["joined"], course, sections[0], lessons[0][0])

        body = seen(client, people["creator"], course, view=view, user=people["joined"].id)

        assert body == seen(client, people["creator"], course, view=view)
        assert (body["join_status"], body["user_completion_rate"]) == ("creator", 0)

    def test_a_non_editor_may_not(self, client, make, db, people):
        course, _, _ = build(make, db, people["creator"], [({}, ["published"])], joined=[people["joined"]])

        body = problem(
            client.get(course_url(course), params={"user": people["creator"].id}, headers=auth(people["joined"])), 403
        )

        assert error_codes(body) == {None: ["permission_denied"]}

    @pytest.mark.parametrize("who", ["stranger", "missing"])
    def test_a_user_without_a_role_is_404(self, client, make, db, people, who):
        course, _, _ = build(make, db, people["creator"], [({}, ["published"])])
        user_id = people["stranger"].id if who == "stranger" else 987654

        body = problem(client.get(course_url(course), params={"user": user_id}, headers=auth(people["creator"])), 404)

        assert list(error_codes(body)) == ["user"]


class TestRatesInLists:
    def test_lists_and_search_show_the_callers_rate(self, client, make, db, alice, bob):
        course, sections, lessons = build(
            make, db, alice, [({}, ["published", "published", "published"])], joined=[bob]
        )
        other, _, _ = build(make, db, alice, [({}, ["published"])], joined=[bob])
        mark(client, bob, course, sections[0], lessons[0][0])

        def rates(path, **params):
            response = client.get(path, params=params, headers=auth(bob))
            assert response.status_code == 200, response.text
            return {item["id"]: item["user_completion_rate"] for item in response.json()["results"]}

        assert rates(COURSES) == {course.id: 33, other.id: 0}
        assert rates(f"{COURSES}search/") == {course.id: 33, other.id: 0}
        mark(client, bob, course, sections[0], lessons[0][1])
        assert rates(COURSES)[course.id] == 66
        assert rates(f"{COURSES}search/", search=course.name)[course.id] == 66
        # Alice completed nothing: rates are per caller.
        response = client.get(COURSES, headers=auth(alice))
        assert {item["id"]: item["user_completion_rate"] for item in response.json()["results"]} == {
            course.id: 0, other.id: 0
        }  # fmt: skip

    def test_membership_row_records_joined_at(self, make, db, alice, bob):
        with at(START):
            course = make.course(alice, joined=[bob])

        row = db.scalar(select(CourseMembership).where(CourseMembership.course_id == course.id))
        assert row.joined_at == START


class TestCaching:
    def test_the_tag_changes_when_a_drip_date_passes_and_when_progress_moves(self, client, make, db, alice, bob):
        opens = START + timedelta(days=1)
        with at(START):
            course, sections, lessons = build(
                make, db, alice, [({}, ["published"]), ({"dripped_at": opens}, ["published"])],
                joined=[bob], type="scheduled",
            )  # fmt: skip
            first = client.get(course_url(course), headers=auth(bob))
            tag = first.headers["etag"]
            assert re.fullmatch(rf'"c{course.id}-r\d+-p[0-9a-f]{{20}}"', tag)
            assert client.get(course_url(course), headers=auth(bob) | {"If-None-Match": tag}).status_code == 304
            # Another caller reads other locks and progress: another tag.
            assert client.get(course_url(course), headers=auth(alice)).headers["etag"] != tag
        with at(opens):
            later = client.get(course_url(course), headers=auth(bob) | {"If-None-Match": tag})
            assert later.status_code == 200
            assert later.headers["etag"] != tag
            tag = later.headers["etag"]
            mark(client, bob, course, sections[0], lessons[0][0])
            after = client.get(course_url(course), headers=auth(bob) | {"If-None-Match": tag})
            assert after.status_code == 200
            assert after.json()["num_lessons_completed"] == 1
            # The revision part is untouched by progress, so If-Match with this tag still works.
            assert after.headers["etag"].split("-p")[0] == tag.split("-p")[0]


class TestOneLessonAgreesWithTheOutline:
    """`getCourseLesson` checks one lesson's locks with queries of its own; the outline computes all
    of them in Python. Both must tell a member the same thing about every lesson."""

    @pytest.mark.parametrize("course_type", ["structured", "scheduled"])
    def test_every_lesson(self, client, make, db, alice, bob, course_type):
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        with at(start) as clock:
            layout = [
                ({"drip_delay": 0, "dripped_at": None}, ["published", "draft", "published"]),
                ({"drip_delay": 0, "dripped_at": start - timedelta(hours=1)}, ["published", "published"]),
                ({"drip_delay": 3, "dripped_at": start + timedelta(days=3)}, ["published", "published"]),
            ]
            course, sections, lessons = build(
                make, db, alice, layout, joined=[bob], type=course_type, enforce_lessons_order=True
            )
            # Completed out of order: the second lesson of the second section, then the first one.
            mark(client, alice, course, sections[1], lessons[1][1])  # an editor's progress is theirs
            for section_id, lesson_id in ((sections[0], lessons[0][0]), (sections[0], lessons[0][2])):
                mark(client, bob, course, section_id, lesson_id)
            client.post(
                course_url(course, "section", sections[1], "lesson", lessons[1][1], "complete"), headers=auth(bob)
            )

            statuses = set()
            for moment in (start, start + timedelta(days=3)):
                clock.move_to(moment)
                outline = seen(client, bob, course)
                for section in outline["sections"]:
                    for lesson in section["lessons"]:
                        one = client.get(
                            course_url(course, "section", section["id"], "lesson", lesson["id"]), headers=auth(bob)
                        )
                        assert one.status_code == (403 if lesson["locked"] else 200), (moment, lesson, one.text)
                        statuses.add((one.status_code, (lesson["lock"] or {}).get("reason")))
                        if lesson["locked"]:
                            assert error_codes(one.json()) == {None: ["locked"]}
            assert statuses == {(200, None), (403, "order"), (403, "drip")}
