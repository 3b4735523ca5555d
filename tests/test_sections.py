"""Sections of a course: list, create, get, PUT, PATCH and DELETE."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from models import Lesson, LessonCompletion, Section
from tests.support.data import NON_EDITORS, staffed_course
from tests.support.http import course_url, error_codes, problem
from tests.support.tokens import auth

FORM = "application/x-www-form-urlencoded"
SECTION_KEYS = {"id", "name", "dripped_at", "drip_delay", "lessons_order", "num_lessons", "revision"}

# Every section operation as (method, needs a section id, body).
OPERATIONS = [
    ("get", False, None),
    ("post", False, {"name": "New"}),
    ("get", True, None),
    ("put", True, {"name": "Replaced"}),
    ("patch", True, {"name": "Patched"}),
    ("delete", True, None),
]
OPERATION_IDS = ["list", "create", "get", "put", "patch", "delete"]
SECTION_OPERATIONS = [op for op in OPERATIONS if op[1]]
SECTION_OPERATION_IDS = ["get", "put", "patch", "delete"]

# RFC 3339 date-times and the instant each names.
DATES = [
    ("2026-03-01T10:30:00+02:00", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
    ("2026-03-01T00:15:00-05:30", datetime(2026, 3, 1, 5, 45, tzinfo=UTC)),
    ("2026-03-01T08:30:00Z", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
    ("2026-03-01T08:30:00.250+00:00", datetime(2026, 3, 1, 8, 30, 0, 250000, tzinfo=UTC)),
    ("2026-03-01t08:30:00z", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
]


def call(client, user, method, url, body=None):
    kwargs = {"json": body} if body is not None else {}
    return client.request(method.upper(), url, headers=auth(user), **kwargs)


def as_dict(section):
    """A section the factory made and nobody changed since."""
    fields = {"id": section.id, "name": section.name, "dripped_at": None, "drip_delay": 0, "lessons_order": []}
    return fields | {"num_lessons": 0, "revision": 1}


def revised(before, changes=None):
    """What a successful write turns `before` into: the changes, and the next revision."""
    return before | (changes or {}) | {"revision": before["revision"] + 1}


def sections_of(client, user, course):
    response = client.get(course_url(course, "section"), headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def section_of(client, user, course, section):
    response = client.get(course_url(course, "section", section), headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def lessons_of(client, user, course, section):
    """The ids of the section's lessons, as listing them answers."""
    response = client.get(course_url(course, "section", section, "lesson"), headers=auth(user))
    assert response.status_code == 200, response.text
    return [lesson["id"] for lesson in response.json()]


def order_of(client, user, course):
    """The course's sections_order as its editors read it (view=user lists only sections with a published lesson)."""
    response = client.get(course_url(course), params={"view": "edit"}, headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()["sections_order"]


def section_count(db, course):
    return db.scalar(select(func.count()).select_from(Section).where(Section.course_id == course.id))


class TestListSections:
    def test_lists_the_sections_in_display_order(self, client, make, alice):
        course = make.course(alice, sections=3)
        a, b, c = course.sections
        reordered = client.patch(course_url(course), json={"sections_order": [c.id, a.id, b.id]}, headers=auth(alice))
        assert reordered.status_code == 200, reordered.text

        listed = sections_of(client, alice, course)

        assert listed == [as_dict(c), as_dict(a), as_dict(b)]
        assert [s["id"] for s in listed] == order_of(client, alice, course)

    def test_course_without_sections_lists_nothing(self, client, make, alice):
        assert sections_of(client, alice, make.course(alice)) == []

    def test_manager_may_list(self, client, make, people):
        course = staffed_course(make, people, "", sections=2)

        assert sections_of(client, people["manager"], course) == [as_dict(s) for s in course.sections]


class TestCreateSection:
    def post(self, client, user, course, body):
        return client.post(course_url(course, "section"), json=body, headers=auth(user))

    def test_appends_a_new_section(self, client, make, alice):
        course = make.course(alice, sections=2)
        existing = [s.id for s in course.sections]

        response = self.post(client, alice, course, {"name": "Getting started"})

        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == SECTION_KEYS
        assert body == {"id": body["id"], "name": "Getting started", "dripped_at": None, "drip_delay": 0,
                        "lessons_order": [], "num_lessons": 0, "revision": 1}  # fmt: skip
        assert body["id"] not in existing
        assert order_of(client, alice, course) == existing + [body["id"]]
        assert section_of(client, alice, course, body["id"]) == body
        assert sections_of(client, alice, course)[-1] == body

    def test_appends_after_the_current_last_section_even_after_a_reorder_and_delete(self, client, make, alice):
        course = make.course(alice, sections=3)
        a, b, c = (s.id for s in course.sections)
        client.patch(course_url(course), json={"sections_order": [c, b, a]}, headers=auth(alice))
        assert client.delete(course_url(course, "section", b), headers=auth(alice)).status_code == 204

        new = self.post(client, alice, course, {"name": "Last"}).json()["id"]

        assert order_of(client, alice, course) == [c, a, new]

    def test_trims_the_name(self, client, make, alice):
        course = make.course(alice)

        assert self.post(client, alice, course, {"name": "  Padded \t"}).json()["name"] == "Padded"

    def test_sets_the_optional_fields_it_is_given(self, client, make, alice):
        course = make.course(alice, type="scheduled")

        response = self.post(
            client, alice, course, {"name": "Later", "drip_delay": 7, "dripped_at": "2026-12-01T09:00:00Z"}
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["drip_delay"], _instant(body["dripped_at"])) == (7, datetime(2026, 12, 1, 9, tzinfo=UTC))

    def test_answers_dripped_at_in_utc(self, client, make, alice):
        course = make.course(alice, type="scheduled")

        response = self.post(client, alice, course, {"name": "Offset", "dripped_at": "2026-03-01T10:30:00+02:00"})

        assert response.status_code == 201, response.text
        assert response.json()["dripped_at"] in {"2026-03-01T08:30:00+00:00", "2026-03-01T08:30:00Z"}
        assert response.json() == section_of(client, alice, course, response.json()["id"])

    def test_ignores_read_only_fields(self, client, make, alice):
        course = make.course(alice)
        body = {"name": "Plain", "id": 999, "lessons": [{"id": 5}], "num_lessons": 3, "revision": 7}

        response = self.post(client, alice, course, body)

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["id"] != 999
        assert (body["lessons_order"], body["num_lessons"], body["revision"]) == ([], 0, 1)

    def test_accepts_the_empty_lessons_order(self, client, make, alice):
        course = make.course(alice)

        response = self.post(client, alice, course, {"name": "Empty", "lessons_order": []})

        assert response.status_code == 201, response.text
        assert response.json()["lessons_order"] == []

    @pytest.mark.parametrize("order", [[1], "existing"], ids=["unknown-id", "lesson-of-another-section"])
    def test_refuses_a_lessons_order_since_a_new_section_has_no_lessons(self, client, make, alice, db, order):
        course = make.course(alice, sections=1)
        lesson = make.lesson(course.sections[0])
        sent = [lesson.id] if order == "existing" else order

        result = problem(self.post(client, alice, course, {"name": "Too full", "lessons_order": sent}), 400)

        assert error_codes(result) == {"lessons_order": ["invalid"]}
        assert section_count(db, course) == 1
        assert order_of(client, alice, course) == [course.sections[0].id]

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({}, "name", "required"),
            ({"drip_delay": 3}, "name", "required"),
            ({"name": "Fine", "chapter": 1}, "chapter", "unknown_field"),
        ],
    )
    def test_refuses_a_missing_or_unknown_field(self, client, make, alice, db, body, field, code):
        course = make.course(alice, sections=1)

        result = problem(self.post(client, alice, course, body), 400)

        assert error_codes(result) == {field: [code]}
        assert section_count(db, course) == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name", ""),
            ("name", "   "),
            ("name", "x" * 256),
            ("drip_delay", -1),
            ("drip_delay", 3651),
            ("drip_delay", "05"),  # digits as text are read (tests/test_web_ui_calls.py), not with a leading zero
            ("dripped_at", "tomorrow"),
            ("dripped_at", "2024-13-45T00:00:00Z"),
        ],
    )
    def test_refuses_an_invalid_value(self, client, make, alice, db, field, value):
        course = make.course(alice)
        body = {"name": "Valid", field: value}

        result = problem(self.post(client, alice, course, body), 400)

        assert list(error_codes(result)) == [field]
        assert section_count(db, course) == 0

    def test_reads_a_form_body(self, client, make, alice):
        course = make.course(alice)

        response = client.post(
            course_url(course, "section"),
            content="name=From+a+form&drip_delay=3",
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 201, response.text
        assert (response.json()["name"], response.json()["drip_delay"]) == ("From a form", 3)

    def test_reads_json_sent_under_the_form_header(self, client, make, alice):
        course = make.course(alice)

        response = client.post(
            course_url(course, "section"),
            content=json.dumps({"name": "Disguised"}),
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 201, response.text
        assert response.json()["name"] == "Disguised"

    def test_a_course_holds_at_most_1000_sections(self, client, make, alice, db):
        course = make.course(alice, sections=1000)

        body = problem(self.post(client, alice, course, {"name": "One too many"}), 409)

        assert list(error_codes(body)) == [None]
        assert section_count(db, course) == 1000

    def test_the_thousandth_section_is_accepted(self, client, make, alice, db):
        course = make.course(alice, sections=999)

        assert self.post(client, alice, course, {"name": "Number 1000"}).status_code == 201
        assert section_count(db, course) == 1000

    def test_manager_may_create(self, client, make, people):
        course = staffed_course(make, people)

        assert self.post(client, people["manager"], course, {"name": "By the manager"}).status_code == 201


class TestGetSection:
    def test_returns_the_section(self, client, make, alice):
        course = make.course(alice, sections=2)
        section = course.sections[1]

        assert section_of(client, alice, course, section) == as_dict(section)

    def test_missing_section_is_not_found(self, client, make, alice):
        course = make.course(alice, sections=1)

        problem(client.get(course_url(course, "section", 777777), headers=auth(alice)), 404)

    def test_deleted_section_is_not_found(self, client, make, alice):
        course = make.course(alice, sections=2)
        section = course.sections[0]
        client.delete(course_url(course, "section", section), headers=auth(alice))

        problem(client.get(course_url(course, "section", section), headers=auth(alice)), 404)


class TestUpdateSection:
    """PUT /course/{id}/section/{section_id}/"""

    def put(self, client, user, course, section, body):
        return client.put(course_url(course, "section", section), json=body, headers=auth(user))

    def test_sets_the_fields_it_carries(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]

        response = self.put(
            client, alice, course, section, {"name": " Renamed ", "drip_delay": 4, "dripped_at": "2027-01-02T03:04:05Z"}
        )

        assert response.status_code == 200, response.text
        body = section_of(client, alice, course, section)
        assert response.json() == body
        assert (body["name"], body["drip_delay"]) == ("Renamed", 4)
        assert _instant(body["dripped_at"]) == datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)

    def test_answers_dripped_at_in_utc(self, client, make, alice):
        course = make.course(alice, sections=1, type="scheduled")
        section = course.sections[0]

        response = self.put(client, alice, course, section, {"name": "S", "dripped_at": "2026-03-01T00:15:00-05:30"})

        assert response.status_code == 200, response.text
        assert response.json()["dripped_at"] in {"2026-03-01T05:45:00+00:00", "2026-03-01T05:45:00Z"}
        assert response.json() == section_of(client, alice, course, section)

    def test_requires_the_name(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        body = problem(self.put(client, alice, course, section, {"drip_delay": 3}), 400)

        assert error_codes(body) == {"name": ["required"]}
        assert section_of(client, alice, course, section) == before

    def test_keeps_the_optional_fields_it_does_not_mention(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        patched = client.patch(
            course_url(course, "section", section),
            json={"drip_delay": 9, "dripped_at": "2026-05-05T05:05:05Z"},
            headers=auth(alice),
        )
        assert patched.status_code == 200, patched.text
        before = section_of(client, alice, course, section)

        response = self.put(client, alice, course, section, {"name": "Only the name"})

        assert response.status_code == 200, response.text
        assert response.json() == revised(before, {"name": "Only the name"})
        assert section_of(client, alice, course, section) == revised(before, {"name": "Only the name"})

    def test_round_trip_changes_nothing(self, client, make, alice):
        course = make.course(alice, sections=2)
        section = course.sections[0]
        client.patch(course_url(course, "section", section), json={"drip_delay": 2}, headers=auth(alice))
        before = section_of(client, alice, course, section)

        response = self.put(client, alice, course, section, before)

        assert response.status_code == 200, response.text
        assert response.json() == revised(before)
        assert section_of(client, alice, course, section) == revised(before)

    def test_refuses_an_unknown_field(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        body = problem(self.put(client, alice, course, section, {"name": "X", "position": 3}), 400)

        assert error_codes(body) == {"position": ["unknown_field"]}
        assert section_of(client, alice, course, section) == before

    def test_reads_a_form_body(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]

        response = client.put(
            course_url(course, "section", section),
            content="name=Formed&drip_delay=2",
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 200, response.text
        assert section_of(client, alice, course, section) | {"id": 0} == {
            "id": 0, "name": "Formed", "dripped_at": None, "drip_delay": 2, "lessons_order": [], "num_lessons": 0,
            "revision": 2,
        }  # fmt: skip


class TestPatchSection:
    def patch(self, client, user, course, section, body):
        return client.patch(course_url(course, "section", section), json=body, headers=auth(user))

    @pytest.mark.parametrize(
        "changes",
        [{"drip_delay": 5}, {"name": "New name"}, {"drip_delay": 0}, {"drip_delay": 3650}, {"dripped_at": None}],
    )
    def test_changes_exactly_the_fields_it_carries(self, client, make, alice, changes):
        course = make.course(alice, sections=2)
        section, other = course.sections
        before = section_of(client, alice, course, section)
        other_before = section_of(client, alice, course, other)

        response = self.patch(client, alice, course, section, changes)

        assert response.status_code == 200, response.text
        assert response.json() == revised(before, changes)
        assert section_of(client, alice, course, section) == revised(before, changes)
        assert section_of(client, alice, course, other) == other_before

    def test_empty_object_changes_nothing(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        response = self.patch(client, alice, course, section, {})

        assert response.status_code == 200, response.text
        assert response.json() == revised(before)
        assert section_of(client, alice, course, section) == revised(before)

    @pytest.mark.parametrize(("sent", "instant"), DATES)
    def test_stores_dripped_at_in_utc(self, client, make, alice, db, sent, instant):
        course = make.course(alice, sections=1, type="scheduled")
        section = course.sections[0]

        response = self.patch(client, alice, course, section, {"dripped_at": sent})

        assert response.status_code == 200, response.text
        stored = section_of(client, alice, course, section)["dripped_at"]
        assert _instant(stored) == instant
        assert _instant(stored).utcoffset().total_seconds() == 0
        db.expire_all()
        assert db.get(Section, section.id).dripped_at == instant

    @pytest.mark.parametrize(("sent", "instant"), DATES)
    def test_answers_dripped_at_in_utc(self, client, make, alice, sent, instant):
        course = make.course(alice, sections=1, type="scheduled")
        section = course.sections[0]

        response = self.patch(client, alice, course, section, {"dripped_at": sent})

        assert response.status_code == 200, response.text
        assert _instant(response.json()["dripped_at"]) == instant
        assert response.json() == section_of(client, alice, course, section)

    def test_null_clears_dripped_at(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        self.patch(client, alice, course, section, {"dripped_at": "2026-03-01T08:30:00Z"})

        response = self.patch(client, alice, course, section, {"dripped_at": None})

        assert response.status_code == 200, response.text
        assert section_of(client, alice, course, section)["dripped_at"] is None

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("dripped_at", "2024-13-45T00:00:00Z"),
            ("dripped_at", "tomorrow"),
            ("dripped_at", "2024-06-01"),
            ("dripped_at", "2024-06-01T10:00:00"),
            ("dripped_at", 1717236000),
            ("drip_delay", -1),
            ("drip_delay", 3651),
            ("drip_delay", 1.5),
            ("drip_delay", None),
            ("drip_delay", True),
            ("name", ""),
            ("name", None),
        ],
    )
    def test_refuses_an_invalid_value(self, client, make, alice, field, value):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        body = problem(self.patch(client, alice, course, section, {field: value}), 400)

        assert list(error_codes(body)) == [field]
        assert section_of(client, alice, course, section) == before

    @pytest.mark.parametrize("sent", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
    def test_refuses_a_date_time_that_leaves_the_representable_range_in_utc(self, client, make, alice, sent):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        body = problem(self.patch(client, alice, course, section, {"dripped_at": sent}), 400)

        assert list(error_codes(body)) == ["dripped_at"]
        assert section_of(client, alice, course, section) == before

    def test_ignores_read_only_fields(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        response = self.patch(
            client, alice, course, section, {"id": 4242, "lessons_order": [], "lessons": [{"id": 3}], "num_lessons": 8}
        )

        assert response.status_code == 200, response.text
        assert section_of(client, alice, course, section) == revised(before)

    def test_refuses_an_unknown_field(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        body = problem(self.patch(client, alice, course, section, {"drip_delay": 1, "dripDelay": 2}), 400)

        assert error_codes(body) == {"dripDelay": ["unknown_field"]}
        assert section_of(client, alice, course, section) == before

    def test_reads_a_form_body(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        before = section_of(client, alice, course, section)

        response = client.patch(
            course_url(course, "section", section),
            content="drip_delay=5",
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 200, response.text
        assert section_of(client, alice, course, section) == revised(before, {"drip_delay": 5})


class TestLessonsOrder:
    """`lessons_order` is how PUT and PATCH reorder a section's lessons."""

    @pytest.fixture
    def scene(self, make, alice):
        """A section of alice's holding a published, a draft and a published lesson, beside one more section."""
        course = make.course(alice, sections=2)
        section, other = course.sections
        ordered = [make.lesson(section, status=status).id for status in ("published", "draft", "published")]
        return SimpleNamespace(course=course, section=section, ids=ordered, other=other, foreign=make.lesson(other).id)

    def write(self, client, user, scene, method, body):
        if method == "put":
            body = {"name": scene.section.name} | body
        return client.request(
            method.upper(), course_url(scene.course, "section", scene.section), json=body, headers=auth(user)
        )

    @pytest.mark.parametrize("method", ["patch", "put"])
    def test_reorders_the_lessons(self, client, alice, scene, method):
        a, b, c = scene.ids
        before = section_of(client, alice, scene.course, scene.section)

        response = self.write(client, alice, scene, method, {"lessons_order": [c, a, b]})

        assert response.status_code == 200, response.text
        expected = revised(before, {"lessons_order": [c, a, b]})
        assert response.json() == expected
        assert section_of(client, alice, scene.course, scene.section) == expected
        assert lessons_of(client, alice, scene.course, scene.section) == [c, a, b]
        edit = client.get(course_url(scene.course), params={"view": "edit"}, headers=auth(alice)).json()
        assert [lesson["id"] for lesson in edit["sections"][0]["lessons"]] == [c, a, b]
        # The outline shows the published lessons only, in the new order.
        outline = client.get(course_url(scene.course), headers=auth(alice)).json()
        assert outline["sections"][0]["lessons_order"] == [c, a]
        assert lessons_of(client, alice, scene.course, scene.other) == [scene.foreign]

    def test_the_same_order_again_changes_nothing_but_the_revision(self, client, alice, scene):
        before = section_of(client, alice, scene.course, scene.section)

        response = self.write(client, alice, scene, "patch", {"lessons_order": scene.ids})

        assert response.status_code == 200, response.text
        assert response.json() == revised(before)
        assert lessons_of(client, alice, scene.course, scene.section) == scene.ids

    @pytest.mark.parametrize("method", ["patch", "put"])
    @pytest.mark.parametrize(
        "order",
        [
            pytest.param(lambda a, b, c, x: [a, b], id="missing"),
            pytest.param(lambda a, b, c, x: [a, b, c, c], id="duplicate"),
            pytest.param(lambda a, b, c, x: [a, b, b], id="duplicate-instead-of-one"),
            pytest.param(lambda a, b, c, x: [a, b, x], id="other-section-instead-of-one"),
            pytest.param(lambda a, b, c, x: [a, b, c, x], id="other-section-extra"),
            pytest.param(lambda a, b, c, x: [a, b, c, 987654], id="nonexistent"),
            pytest.param(lambda a, b, c, x: [], id="empty"),
        ],
    )
    def test_refuses_an_order_that_is_not_a_permutation(self, client, alice, scene, method, order):
        before_section = section_of(client, alice, scene.course, scene.section)
        before_course = client.get(course_url(scene.course), params={"view": "edit"}, headers=auth(alice)).json()

        sent = order(*reversed(scene.ids), scene.foreign)
        # The other fields of the refused write are not applied either.
        body = problem(self.write(client, alice, scene, method, {"lessons_order": sent, "drip_delay": 9}), 400)

        assert error_codes(body) == {"lessons_order": ["invalid"]}
        assert section_of(client, alice, scene.course, scene.section) == before_section
        assert lessons_of(client, alice, scene.course, scene.section) == scene.ids
        after_course = client.get(course_url(scene.course), params={"view": "edit"}, headers=auth(alice)).json()
        assert after_course == before_course

    def test_a_lesson_of_another_course_is_no_part_of_the_order(self, client, make, alice, scene):
        stranger = make.lesson(make.course(alice, sections=1).sections[0]).id
        a, b, c = scene.ids

        body = problem(self.write(client, alice, scene, "patch", {"lessons_order": [a, b, stranger]}), 400)

        assert error_codes(body) == {"lessons_order": ["invalid"]}
        assert lessons_of(client, alice, scene.course, scene.section) == scene.ids


class TestDeleteSection:
    def test_removes_the_section_and_its_place_in_the_order(self, client, make, alice, db):
        course = make.course(alice, sections=3)
        a, b, c = (s.id for s in course.sections)

        response = client.delete(course_url(course, "section", b), headers=auth(alice))

        assert response.status_code == 204
        assert response.content == b""
        assert order_of(client, alice, course) == [a, c]
        assert [s["id"] for s in sections_of(client, alice, course)] == [a, c]
        problem(client.get(course_url(course, "section", b), headers=auth(alice)), 404)
        problem(client.delete(course_url(course, "section", b), headers=auth(alice)), 404)
        assert db.get(Section, b, populate_existing=True) is None

    def test_takes_its_lessons_and_their_completions_along(self, client, make, alice, bob, db):
        course = make.course(alice, sections=2, joined=[bob])
        doomed, kept = course.sections
        gone, stays = make.lesson(doomed), make.lesson(kept)
        for lesson in (gone, stays):
            done = client.post(course_url(course, "section", lesson.section_id, "lesson", lesson, "complete"),
                               headers=auth(bob))  # fmt: skip
            assert done.status_code == 204, done.text

        assert client.delete(course_url(course, "section", doomed), headers=auth(alice)).status_code == 204

        db.expire_all()
        assert db.scalars(select(Lesson.id).where(Lesson.course_id == course.id)).all() == [stays.id]
        assert db.scalars(select(LessonCompletion.lesson_id).where(LessonCompletion.user_id == bob.id)).all() == [
            stays.id
        ]

    def test_order_still_accepts_the_remaining_sections(self, client, make, alice):
        course = make.course(alice, sections=3)
        a, b, c = (s.id for s in course.sections)
        client.delete(course_url(course, "section", a), headers=auth(alice))

        response = client.patch(course_url(course), json={"sections_order": [c, b]}, headers=auth(alice))

        assert response.status_code == 200, response.text
        assert response.json()["sections_order"] == [c, b]


class TestSectionOfAnotherCourse:
    @pytest.mark.parametrize(("method", "needs_section", "body"), SECTION_OPERATIONS, ids=SECTION_OPERATION_IDS)
    def test_is_not_found_even_for_the_creator_of_both(self, client, make, alice, method, needs_section, body):
        course = make.course(alice, sections=1)
        other = make.course(alice, sections=1)
        foreign = other.sections[0]
        before = section_of(client, alice, other, foreign)

        body_ = problem(call(client, alice, method, course_url(course, "section", foreign), body), 404)

        assert error_codes(body_) == {None: ["not_found"]}
        assert section_of(client, alice, other, foreign) == before
        assert order_of(client, alice, course) == [course.sections[0].id]


class TestSectionPermissions:
    @pytest.mark.parametrize(("method", "needs_section", "body"), OPERATIONS, ids=OPERATION_IDS)
    @pytest.mark.parametrize(
        ("privacy", "role", "status"),
        NON_EDITORS,
    )
    def test_non_editors_are_refused(self, client, make, people, method, needs_section, body, privacy, role, status):
        course = staffed_course(make, people, privacy, sections=2)
        url = course_url(course, "section", course.sections[0]) if needs_section else course_url(course, "section")
        creator = people["creator"]
        before = sections_of(client, creator, course)

        problem(call(client, people[role], method, url, body), status)

        assert sections_of(client, creator, course) == before

    @pytest.mark.parametrize(("method", "needs_section", "body"), OPERATIONS, ids=OPERATION_IDS)
    def test_deleted_course_hides_its_sections(self, client, make, alice, method, needs_section, body):
        course = make.course(alice, sections=1, deleted=True)
        url = course_url(course, "section", course.sections[0]) if needs_section else course_url(course, "section")

        problem(call(client, alice, method, url, body), 404)

    @pytest.mark.parametrize(("method", "needs_section", "body"), OPERATIONS, ids=OPERATION_IDS)
    def test_manager_is_allowed(self, client, make, people, method, needs_section, body):
        course = staffed_course(make, people, "", sections=1)
        url = course_url(course, "section", course.sections[0]) if needs_section else course_url(course, "section")

        response = call(client, people["manager"], method, url, body)

        assert response.status_code == {"post": 201, "delete": 204}.get(method, 200), response.text


def _instant(text):
    """Parse an RFC 3339 date-time (with `Z` or an offset) into an aware datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    assert value.tzinfo is not None
    return value
