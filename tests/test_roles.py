"""Roles in a course: POST /course/{id}/role/ promotes, demotes, adds and removes members."""

import json

import pytest
from sqlalchemy import select

from models import CourseMembership
from tests.support.data import NON_EDITORS, staffed_course
from tests.support.http import course_url, error_codes, problem
from tests.support.tokens import auth

FORM = "application/x-www-form-urlencoded"


def change(client, user, course, body):
    return client.post(course_url(course, "role"), json=body, headers=auth(user))


def memberships(db, course):
    """`{user_id: role}` as stored, creator excluded (the creator's role is not a membership)."""
    rows = db.execute(
        select(CourseMembership.user_id, CourseMembership.role).where(CourseMembership.course_id == course.id)
    )
    return dict(rows.all())


def join_status(client, user, course):
    response = client.get(course_url(course), headers=auth(user))
    return response.json()["join_status"] if response.status_code == 200 else response.status_code


class TestChangeRoles:
    def test_creator_makes_a_user_manager_who_may_then_edit_sections(self, client, make, alice, bob, db):
        course = make.course(alice, privacy="", sections=1)
        section_url = course_url(course, "section", course.sections[0])
        problem(client.patch(section_url, json={"drip_delay": 1}, headers=auth(bob)), 404)

        response = change(client, alice, course, {"managers": [bob.id]})

        assert response.status_code == 204
        assert response.content == b""
        assert memberships(db, course) == {bob.id: "manager"}
        assert join_status(client, bob, course) == "manager"
        patched = client.patch(section_url, json={"drip_delay": 1}, headers=auth(bob))
        assert patched.status_code == 200, patched.text
        assert patched.json()["drip_delay"] == 1

    def test_manager_may_promote_another_user(self, client, make, people, db):
        course = staffed_course(make, people)
        manager, newcomer = people["manager"], make.user(username="newbie")

        response = change(client, manager, course, {"managers": [newcomer.id, people["joined"].id]})

        assert response.status_code == 204, response.text
        promoted = {manager.id, newcomer.id, people["joined"].id}
        assert memberships(db, course) == dict.fromkeys(promoted, "manager")

    def test_joined_demotes_a_manager_who_then_may_not_edit(self, client, make, people, db):
        course = staffed_course(make, people, sections=1)
        manager = people["manager"]

        response = change(client, people["creator"], course, {"joined": [manager.id]})

        assert response.status_code == 204, response.text
        assert memberships(db, course)[manager.id] == "joined"
        assert join_status(client, manager, course) == "joined"
        problem(client.patch(course_url(course), json={"description": "x"}, headers=auth(manager)), 403)
        section_url = course_url(course, "section", course.sections[0])
        problem(client.patch(section_url, json={"drip_delay": 2}, headers=auth(manager)), 403)

    def test_joined_adds_a_plain_member(self, client, make, alice, bob, db):
        course = make.course(alice, privacy="secret")
        assert join_status(client, bob, course) == 404

        assert change(client, alice, course, {"joined": [bob.id]}).status_code == 204

        assert memberships(db, course) == {bob.id: "joined"}
        assert join_status(client, bob, course) == "joined"

    @pytest.mark.parametrize("role", ["manager", "joined"])
    def test_unjoined_removes_a_member(self, client, make, people, db, role):
        course = staffed_course(make, people, "secret")
        member = people[role]

        response = change(client, people["creator"], course, {"unjoined": [member.id]})

        assert response.status_code == 204, response.text
        assert member.id not in memberships(db, course)
        assert join_status(client, member, course) == 404

    def test_unjoined_of_a_non_member_changes_nothing(self, client, make, people, db):
        course = staffed_course(make, people)
        before = memberships(db, course)

        assert change(client, people["creator"], course, {"unjoined": [people["stranger"].id]}).status_code == 204

        assert memberships(db, course) == before

    def test_applies_all_three_lists_together(self, client, make, people, db):
        course = staffed_course(make, people)
        extra = make.user(username="extra")

        response = change(
            client,
            people["creator"],
            course,
            {"managers": [people["joined"].id], "joined": [extra.id], "unjoined": [people["manager"].id]},
        )

        assert response.status_code == 204, response.text
        assert memberships(db, course) == {people["joined"].id: "manager", extra.id: "joined"}

    @pytest.mark.parametrize("field", ["joined", "unjoined"])
    def test_creator_can_never_be_demoted(self, client, make, people, db, field):
        course = staffed_course(make, people)
        creator = people["creator"]
        before = memberships(db, course)

        body = problem(
            change(client, people["manager"], course, {field: [creator.id], "managers": [people["stranger"].id]}), 400
        )

        assert list(error_codes(body)) == [field]
        assert memberships(db, course) == before
        assert join_status(client, creator, course) == "creator"

    def test_creator_in_managers_changes_nothing(self, client, make, people, db):
        course = staffed_course(make, people)
        before = memberships(db, course)

        response = change(client, people["manager"], course, {"managers": [people["creator"].id]})

        assert response.status_code == 204, response.text
        assert memberships(db, course) == before
        assert join_status(client, people["creator"], course) == "creator"

    @pytest.mark.parametrize(
        ("lists", "field"),
        [
            (("managers", "joined"), "joined"),
            (("managers", "unjoined"), "unjoined"),
            (("joined", "unjoined"), "unjoined"),
        ],
    )
    def test_refuses_a_user_listed_twice(self, client, make, people, db, lists, field):
        course = staffed_course(make, people)
        target = people["stranger"].id
        before = memberships(db, course)

        body = problem(change(client, people["creator"], course, {name: [target] for name in lists}), 400)

        assert field in error_codes(body)
        assert "duplicate" in error_codes(body)[field]
        assert memberships(db, course) == before

    @pytest.mark.parametrize("field", ["managers", "joined", "unjoined"])
    def test_refuses_an_unknown_user_and_applies_nothing(self, client, make, people, db, field):
        course = staffed_course(make, people)
        newcomer = make.user(username="valid")
        before = memberships(db, course)
        body = {field: [98765]}
        if field == "managers":
            body["joined"] = [newcomer.id]
        else:
            body["managers"] = [newcomer.id]

        result = problem(change(client, people["creator"], course, body), 400)

        assert error_codes(result) == {field: ["does_not_exist"]}
        assert memberships(db, course) == before

    def test_one_valid_and_one_unknown_id_in_the_same_list_applies_neither(self, client, make, people, db):
        course = staffed_course(make, people)
        valid = make.user(username="valid")
        before = memberships(db, course)

        result = problem(change(client, people["creator"], course, {"managers": [valid.id, 98765]}), 400)

        assert error_codes(result) == {"managers": ["does_not_exist"]}
        assert memberships(db, course) == before

    @pytest.mark.parametrize("state", [{"is_active": False}, {"deleted": True}])
    def test_refuses_an_inactive_or_deleted_user(self, client, make, alice, db, state):
        course = make.course(alice)
        gone = make.user(username="gone", **state)

        result = problem(change(client, alice, course, {"joined": [gone.id]}), 400)

        assert error_codes(result) == {"joined": ["does_not_exist"]}
        assert memberships(db, course) == {}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, None),
            ({"owners": [1]}, "owners"),
            ({"managers": [0]}, "managers.0"),
            ({"managers": "2"}, "managers"),
            ({"managers": [2, 2]}, "managers"),
            ({"joined": [None]}, "joined.0"),
        ],
    )
    def test_refuses_a_malformed_body(self, client, make, people, db, body, field):
        course = staffed_course(make, people)
        before = memberships(db, course)

        result = problem(change(client, people["creator"], course, body), 400)

        assert list(error_codes(result)) == [field]
        assert memberships(db, course) == before

    def test_reads_a_form_body(self, client, make, alice, db):
        course = make.course(alice)
        carol, dave = make.user(username="carol"), make.user(username="dave")

        response = client.post(
            course_url(course, "role"),
            content=f"managers={carol.id}&managers={dave.id}",
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 204, response.text
        assert memberships(db, course) == {carol.id: "manager", dave.id: "manager"}

    def test_reads_an_indexed_form_body(self, client, make, alice, db):
        course = make.course(alice)
        carol, dave = make.user(username="carol"), make.user(username="dave")

        response = client.post(
            course_url(course, "role"),
            content=f"joined[0]={carol.id}&unjoined[0]={dave.id}",
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 204, response.text
        assert memberships(db, course) == {carol.id: "joined"}

    def test_reads_json_sent_under_the_form_header(self, client, make, alice, bob, db):
        course = make.course(alice)

        response = client.post(
            course_url(course, "role"),
            content=json.dumps({"joined": [bob.id]}),
            headers={**auth(alice), "Content-Type": FORM},
        )

        assert response.status_code == 204, response.text
        assert memberships(db, course) == {bob.id: "joined"}

    @pytest.mark.parametrize(
        ("privacy", "role", "status"),
        NON_EDITORS,
    )
    def test_non_editors_are_refused(self, client, make, people, db, privacy, role, status):
        course = staffed_course(make, people, privacy)
        before = memberships(db, course)
        me = people[role]

        problem(change(client, me, course, {"managers": [me.id], "unjoined": [people["manager"].id]}), status)

        assert memberships(db, course) == before

    def test_deleted_course_is_not_found(self, client, make, alice, bob, db):
        course = make.course(alice, deleted=True)

        problem(change(client, alice, course, {"joined": [bob.id]}), 404)

        assert memberships(db, course) == {}
