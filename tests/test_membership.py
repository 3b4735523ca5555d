"""Membership: joining, leaving, invitations, requests to join, and the lists of a course's people."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from models import Course, CourseMembership, LessonCompletion
from tests.support.http import API, course_url, error_codes, problem
from tests.support.tokens import auth

FORM = "application/x-www-form-urlencoded"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


# --- Calls -----------------------------------------------------------------------------------------


def join(client, user, course):
    return client.post(course_url(course, "join"), headers=auth(user))


def leave(client, user, course, whom=None):
    params = {"user": getattr(whom, "id", whom)} if whom is not None else None
    return client.delete(course_url(course, "join"), params=params, headers=auth(user))


def invite(client, user, course, *users):
    return client.post(course_url(course, "invite"), json={"users": [_id(u) for u in users]}, headers=auth(user))


def uninvite(client, user, course, *users):
    body = {"users": [_id(u) for u in users]}
    return client.request("DELETE", course_url(course, "invite"), json=body, headers=auth(user))


def status_of(client, user, course):
    response = client.get(course_url(course, "status"), headers=auth(user))
    return response.json()["status"] if response.status_code == 200 else response.status_code


def listing(client, user, course, kind, **params):
    return client.get(course_url(course, kind), params=params, headers=auth(user))


def ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["results"]]


def _id(user):
    return getattr(user, "id", user)


# --- What is stored --------------------------------------------------------------------------------


def roles(db, course):
    """`{user_id: role}` as stored (the creator holds no row)."""
    db.commit()
    db.expire_all()
    rows = db.execute(
        select(CourseMembership.user_id, CourseMembership.role).where(CourseMembership.course_id == course.id)
    )
    return dict(rows.all())


def joined_at(db, course, user):
    db.commit()
    db.expire_all()
    return db.scalar(
        select(CourseMembership.joined_at).where(
            CourseMembership.course_id == course.id, CourseMembership.user_id == user.id
        )
    )


def revision(db, course):
    db.commit()
    db.expire_all()
    return db.get(Course, course.id).revision


def hold(db, course, user, role, at=LONG_AGO):
    """Give `user` a membership row behind the API's back, begun at `at`."""
    db.add(CourseMembership(course_id=course.id, user_id=user.id, role=role, created_at=at, joined_at=at))
    db.commit()


@pytest.fixture
def cast(make, people):
    """The people of the fixture plus one invitee and one requester."""
    return people | {"invited": make.user(username="ivy"), "requested": make.user(username="rex")}


def course_with(make, db, cast, privacy, **fields):
    course = make.course(
        cast["creator"], privacy=privacy, managers=[cast["manager"]], joined=[cast["joined"]], **fields
    )
    hold(db, course, cast["invited"], "invited")
    hold(db, course, cast["requested"], "requested")
    return course


# --- Joining ---------------------------------------------------------------------------------------


class TestJoin:
    def test_joining_an_open_course_makes_a_member_who_gets_the_course_as_they_take_it(self, client, make, db, alice):
        course = make.course(alice, privacy="open", sections=1)
        lesson = make.lesson(course.sections[0])
        newcomer = make.user()
        before = revision(db, course)

        response = join(client, newcomer, course)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["join_status"] == "joined"
        assert body["member_count"] == 1
        assert [s["lessons_order"] for s in body["sections"]] == [[lesson.id]]
        assert body["next_lesson"] == {"section_id": course.sections[0].id, "lesson_id": lesson.id}
        assert roles(db, course) == {newcomer.id: "joined"}
        assert datetime.now(UTC) - joined_at(db, course, newcomer) < timedelta(minutes=1)
        assert revision(db, course) == before + 1
        assert status_of(client, newcomer, course) == "joined"

    def test_joining_a_private_course_asks_to_join_and_shows_its_minimal_form(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="private", description="Only for members", sections=1)

        response = join(client, bob, course)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["join_status"] == "requested"
        assert "description" not in body and "sections" not in body and "revision" not in body
        assert roles(db, course) == {bob.id: "requested"}
        assert status_of(client, bob, course) == "requested"

    @pytest.mark.parametrize("privacy", ["private", "secret"])
    def test_an_invitee_accepts_by_joining(self, client, make, db, alice, bob, privacy):
        course = make.course(alice, privacy=privacy)
        hold(db, course, bob, "invited")

        response = join(client, bob, course)

        assert response.status_code == 200, response.text
        assert response.json()["join_status"] == "joined"
        assert "description" in response.json()
        assert roles(db, course) == {bob.id: "joined"}
        # The membership begins when the invitation is accepted, not when it was sent.
        assert joined_at(db, course, bob) > LONG_AGO

    def test_a_secret_course_without_an_invitation_does_not_exist(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="secret")

        problem(join(client, bob, course), 404)

        assert roles(db, course) == {}

    @pytest.mark.parametrize("relation", ["stranger", "invited"])
    def test_a_draft_does_not_exist_for_non_editors(self, client, make, db, alice, bob, relation):
        course = make.course(alice, privacy="")
        if relation == "invited":
            hold(db, course, bob, "invited")

        problem(join(client, bob, course), 404)
        problem(client.get(course_url(course, "status"), headers=auth(bob)), 404)

        assert roles(db, course) == ({bob.id: "invited"} if relation == "invited" else {})

    @pytest.mark.parametrize(
        ("privacy", "role"),
        [
            ("open", "joined"),
            ("open", "manager"),
            ("open", "creator"),
            ("private", "requested"),
            ("private", "joined"),
            ("", "manager"),
            ("", "creator"),
            ("secret", "joined"),
        ],
    )
    def test_joining_again_changes_nothing(self, client, make, db, alice, bob, privacy, role):
        course = make.course(alice, privacy=privacy)
        caller = alice if role == "creator" else bob
        if role != "creator":
            hold(db, course, bob, role)
        before_rows, before = roles(db, course), revision(db, course)

        response = join(client, caller, course)

        assert response.status_code == 200, response.text
        assert response.json()["join_status"] == role
        assert roles(db, course) == before_rows
        assert revision(db, course) == before
        if role in ("joined", "manager"):
            assert joined_at(db, course, bob) == LONG_AGO

    def test_a_request_left_from_private_times_is_granted_when_the_course_opens(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="open")
        hold(db, course, bob, "requested")

        assert join(client, bob, course).json()["join_status"] == "joined"
        assert roles(db, course) == {bob.id: "joined"}

    def test_deleted_courses_and_missing_tokens(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="open", deleted=True)
        problem(join(client, bob, course), 404)
        problem(client.post(course_url(course, "join")), 401)
        problem(join(client, bob, 999_999), 404)
        assert roles(db, course) == {}


# --- Leaving and removing ----------------------------------------------------------------------------


class TestLeave:
    @pytest.mark.parametrize("role", ["joined", "manager", "requested", "invited"])
    def test_the_caller_leaves_withdraws_or_declines(self, client, make, db, alice, bob, role):
        # Secret, so that the invitee is someone who can only see the course through the invitation.
        course = make.course(alice, privacy="secret" if role == "invited" else "private")
        hold(db, course, bob, role)
        before = revision(db, course)

        response = leave(client, bob, course)

        assert response.status_code == 204, response.text
        assert response.content == b""
        assert roles(db, course) == {}
        assert revision(db, course) == before + 1

    def test_naming_oneself_is_leaving(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="open", joined=[bob])

        assert leave(client, bob, course, bob).status_code == 204
        assert roles(db, course) == {}

    def test_the_creator_cannot_leave(self, client, make, db, alice):
        course = make.course(alice, privacy="open")
        for whom in (None, alice):
            body = problem(leave(client, alice, course, whom), 400)
            assert error_codes(body) == {None: ["creator"]}
        assert revision(db, course) == 1

    def test_leaving_without_a_status_changes_nothing(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="open")

        assert leave(client, bob, course).status_code == 204
        assert revision(db, course) == 1

    def test_a_secret_course_stays_hidden_from_those_who_would_leave_it(self, client, make, db, alice, bob):
        problem(leave(client, bob, make.course(alice, privacy="secret")), 404)

    def test_coming_back_starts_a_new_membership_and_keeps_completed_lessons(self, client, make, db, alice, bob):
        course = make.course(alice, privacy="open", sections=1, joined=[bob])
        lesson = make.lesson(course.sections[0])
        db.execute(CourseMembership.__table__.update().values(joined_at=LONG_AGO))
        db.commit()
        lesson_url = course_url(course, "section", course.sections[0], "lesson", lesson, "complete")
        assert client.post(lesson_url, headers=auth(bob)).status_code == 204

        assert leave(client, bob, course).status_code == 204
        rejoined = join(client, bob, course)

        assert rejoined.status_code == 200
        assert joined_at(db, course, bob) > LONG_AGO
        assert rejoined.json()["user_completion_rate"] == 100
        assert db.scalar(select(LessonCompletion.id).where(LessonCompletion.user_id == bob.id)) is not None


class TestRemove:
    @pytest.mark.parametrize("editor", ["creator", "manager"])
    @pytest.mark.parametrize("role", ["joined", "manager", "requested", "invited"])
    def test_an_editor_removes_anyone_but_the_creator(self, client, make, db, cast, editor, role):
        course = course_with(make, db, cast, "private")
        target = {"manager": make.user()}.get(role) or cast[role]
        if role == "manager":
            hold(db, course, target, "manager")
        before = revision(db, course)

        assert leave(client, cast[editor], course, target).status_code == 204

        assert target.id not in roles(db, course)
        assert revision(db, course) == before + 1

    def test_the_creator_cannot_be_removed(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        before = roles(db, course)

        body = problem(leave(client, cast["manager"], course, cast["creator"]), 400)

        assert error_codes(body) == {"user": ["creator"]}
        assert roles(db, course) == before

    def test_an_unknown_user_is_named(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")

        body = problem(leave(client, cast["creator"], course, 999_999), 400)

        assert error_codes(body) == {"user": ["does_not_exist"]}
        assert "999999" in body["detail"]

    def test_someone_without_a_status_changes_nothing(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        before = revision(db, course)

        assert leave(client, cast["creator"], course, cast["stranger"]).status_code == 204
        assert revision(db, course) == before

    def test_a_deactivated_member_can_still_be_removed(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        cast["joined"].is_active = False
        db.commit()

        assert leave(client, cast["creator"], course, cast["joined"]).status_code == 204
        assert cast["joined"].id not in roles(db, course)

    @pytest.mark.parametrize(
        ("privacy", "caller", "status"),
        [
            ("open", "joined", 403),
            ("open", "stranger", 403),
            ("open", "invited", 403),
            ("private", "requested", 403),
            ("secret", "joined", 403),
            ("secret", "invited", 404),
            ("secret", "stranger", 404),
            ("", "joined", 404),
        ],
    )
    def test_others_may_not_remove(self, client, make, db, cast, privacy, caller, status):
        course = course_with(make, db, cast, privacy)
        before = roles(db, course)

        problem(leave(client, cast[caller], course, cast["manager"]), status)

        assert roles(db, course) == before


# --- Invitations -------------------------------------------------------------------------------------


class TestInvite:
    @pytest.mark.parametrize("editor", ["creator", "manager"])
    def test_invite_applies_the_table_to_everyone_listed(self, client, make, db, cast, editor):
        course = course_with(make, db, cast, "private")
        stranger = cast["stranger"]
        before = revision(db, course)

        everyone = [stranger, cast["invited"], cast["requested"], cast["joined"], cast["manager"], cast["creator"]]
        response = invite(client, cast[editor], course, *everyone)

        assert response.status_code == 204, response.text
        assert roles(db, course) == {
            stranger.id: "invited",
            cast["invited"].id: "invited",
            cast["requested"].id: "joined",
            cast["joined"].id: "joined",
            cast["manager"].id: "manager",
        }
        # An accepted request is a membership that begins now; an invitation is no membership yet.
        assert joined_at(db, course, cast["requested"]) > LONG_AGO
        assert revision(db, course) == before + 1
        assert status_of(client, stranger, course) == "invited"

    def test_inviting_members_only_changes_nothing(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        before = revision(db, course)

        assert invite(client, cast["creator"], course, cast["joined"], cast["invited"]).status_code == 204
        assert revision(db, course) == before

    def test_unknown_and_inactive_users_are_named_and_nothing_changes(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        inactive, deleted = make.user(is_active=False), make.user(deleted=True)
        before = roles(db, course)

        body = problem(invite(client, cast["creator"], course, cast["stranger"], 999_999, inactive, deleted), 400)

        assert error_codes(body) == {"users": ["does_not_exist"]}
        assert f"[999999, {inactive.id}, {deleted.id}]" in body["detail"]
        assert roles(db, course) == before

    @pytest.mark.parametrize(
        "body",
        [{}, {"users": []}, {"users": [1, 1]}, {"users": list(range(1, 102))}, {"users": ["x"]}, {"users": [0]}],
        ids=["missing", "empty", "twice", "too_many", "not_ids", "zero"],
    )
    def test_malformed_bodies_are_refused(self, client, make, db, cast, body):
        course = course_with(make, db, cast, "open")
        before = roles(db, course)

        for method in ("POST", "DELETE"):
            response = client.request(method, course_url(course, "invite"), json=body, headers=auth(cast["creator"]))
            problem(response, 400)
        assert roles(db, course) == before

    def test_a_form_body_works(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        response = client.post(
            course_url(course, "invite"),
            content=f"users={cast['stranger'].id}&users={cast['requested'].id}",
            headers=auth(cast["creator"]) | {"Content-Type": FORM},
        )
        assert response.status_code == 204, response.text
        assert roles(db, course)[cast["stranger"].id] == "invited"
        assert roles(db, course)[cast["requested"].id] == "joined"

    @pytest.mark.parametrize(
        ("privacy", "caller", "status"),
        [
            ("open", "joined", 403),
            ("open", "stranger", 403),
            ("private", "invited", 403),
            ("private", "requested", 403),
            ("secret", "joined", 403),
            ("secret", "invited", 404),
            ("secret", "stranger", 404),
            ("", "joined", 404),
        ],
    )
    def test_only_editors_invite(self, client, make, db, cast, privacy, caller, status):
        course = course_with(make, db, cast, privacy)
        before = roles(db, course)

        problem(invite(client, cast[caller], course, cast["stranger"]), status)
        problem(uninvite(client, cast[caller], course, cast["invited"]), status)

        assert roles(db, course) == before


class TestUninvite:
    def test_only_invitations_are_withdrawn(self, client, make, db, cast):
        course = course_with(make, db, cast, "private")
        before = revision(db, course)

        response = uninvite(client, cast["manager"], course, cast["invited"], cast["requested"], cast["joined"])

        assert response.status_code == 204, response.text
        assert roles(db, course) == {
            cast["manager"].id: "manager",
            cast["joined"].id: "joined",
            cast["requested"].id: "requested",
        }
        assert revision(db, course) == before + 1

    def test_an_invitation_of_a_deactivated_user_can_be_withdrawn_but_unknown_ids_are_refused(
        self, client, make, db, cast
    ):
        course = course_with(make, db, cast, "private")
        cast["invited"].is_active = False
        db.commit()

        body = problem(uninvite(client, cast["creator"], course, cast["invited"], 999_999), 400)
        assert error_codes(body) == {"users": ["does_not_exist"]}
        assert cast["invited"].id in roles(db, course)

        assert uninvite(client, cast["creator"], course, cast["invited"]).status_code == 204
        assert cast["invited"].id not in roles(db, course)


# --- Roles set through POST /role/ keep the same states ---------------------------------------------


class TestRoleChangesOfWaitingUsers:
    @pytest.mark.parametrize(
        ("waiting", "field", "role"), [("invited", "joined", "joined"), ("requested", "managers", "manager")]
    )
    def test_an_answer_through_roles_starts_the_membership(self, client, make, db, cast, waiting, field, role):
        course = course_with(make, db, cast, "private")

        response = client.post(
            course_url(course, "role"), json={field: [cast[waiting].id]}, headers=auth(cast["creator"])
        )

        assert response.status_code == 204, response.text
        assert roles(db, course)[cast[waiting].id] == role
        assert joined_at(db, course, cast[waiting]) > LONG_AGO

    def test_a_move_between_manager_and_joined_keeps_the_start(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        db.execute(CourseMembership.__table__.update().values(joined_at=LONG_AGO))
        db.commit()

        body = {"managers": [cast["joined"].id], "joined": [cast["manager"].id]}
        assert client.post(course_url(course, "role"), json=body, headers=auth(cast["creator"])).status_code == 204

        assert joined_at(db, course, cast["joined"]) == LONG_AGO
        assert joined_at(db, course, cast["manager"]) == LONG_AGO

    def test_unjoined_withdraws_invitations_and_rejects_requests(self, client, make, db, cast):
        course = course_with(make, db, cast, "private")
        body = {"unjoined": [cast["invited"].id, cast["requested"].id]}

        assert client.post(course_url(course, "role"), json=body, headers=auth(cast["creator"])).status_code == 204
        assert set(roles(db, course)) == {cast["manager"].id, cast["joined"].id}

    def test_a_deactivated_invitee_cannot_be_made_a_member(self, client, make, db, cast):
        course = course_with(make, db, cast, "private")
        cast["invited"].is_active = False
        db.commit()

        body = {"joined": [cast["invited"].id]}
        response = client.post(course_url(course, "role"), json=body, headers=auth(cast["creator"]))

        assert error_codes(problem(response, 400)) == {"joined": ["does_not_exist"]}
        assert roles(db, course)[cast["invited"].id] == "invited"


# --- Status ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("privacy", "caller", "want"),
    [
        ("open", "creator", "creator"),
        ("open", "manager", "manager"),
        ("open", "joined", "joined"),
        ("open", "invited", "invited"),
        ("open", "stranger", None),
        ("private", "requested", "requested"),
        ("private", "stranger", None),
        ("secret", "joined", "joined"),
        ("secret", "invited", "invited"),
        ("secret", "requested", 404),
        ("secret", "stranger", 404),
        ("", "manager", "manager"),
        ("", "joined", 404),
        ("", "invited", 404),
    ],
)
def test_status_answers_each_caller(client, make, db, cast, privacy, caller, want):
    course = course_with(make, db, cast, privacy)
    assert status_of(client, cast[caller], course) == want


# --- Lists ---------------------------------------------------------------------------------------------


class TestMembers:
    def test_by_default_managers_and_members_in_the_order_they_joined(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        late = make.user()
        assert join(client, late, course).status_code == 200

        response = listing(client, cast["stranger"], course, "join")

        assert ids(response) == [cast["manager"].id, cast["joined"].id, late.id]
        body = response.json()
        assert body["count"] == 3 and body["next"] is None and body["previous"] is None
        assert set(body["results"][0]) == {"id", "username", "real_name", "avatar", "community_badge", "deleted"}

    def test_statuses_and_pages(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        who = cast["joined"]

        assert ids(listing(client, who, course, "join", statuses="creator")) == [cast["creator"].id]
        # The official SDK sends a list as one comma-separated value (URLSearchParams).
        assert ids(listing(client, who, course, "join", statuses="creator,joined")) == [
            cast["creator"].id,
            cast["joined"].id,
        ]
        everyone = listing(client, who, course, "join", statuses=["creator", "manager", "joined"], limit=2)
        assert ids(everyone) == [cast["creator"].id, cast["manager"].id]
        assert everyone.json()["count"] == 3
        assert "offset=2" in everyone.json()["next"]
        second = listing(client, who, course, "join", statuses=["creator", "manager", "joined"], limit=2, offset=2)
        assert ids(second) == [cast["joined"].id]
        assert second.json()["next"] is None
        for waiting in ("invited", "requested"):
            problem(listing(client, who, course, "join", statuses=waiting), 400)

    @pytest.mark.parametrize(
        ("privacy", "hidden", "caller", "status"),
        [
            ("open", False, "stranger", 200),
            ("open", False, "invited", 200),
            ("private", False, "stranger", 200),
            ("private", False, "requested", 200),
            ("secret", False, "joined", 200),
            ("secret", False, "invited", 404),
            ("secret", False, "stranger", 404),
            ("", False, "manager", 200),
            ("", False, "joined", 404),
            ("open", True, "stranger", 403),
            ("open", True, "joined", 403),
            ("private", True, "joined", 403),
            ("open", True, "manager", 200),
            ("secret", True, "creator", 200),
            ("secret", True, "stranger", 404),
        ],
    )
    def test_who_may_list_them(self, client, make, db, cast, privacy, hidden, caller, status):
        course = course_with(make, db, cast, privacy, hide_member_count=hidden)
        response = listing(client, cast[caller], course, "join")
        if status == 200:
            assert ids(response) == [cast["manager"].id, cast["joined"].id]
        else:
            problem(response, status)


class TestWaitingLists:
    def test_invited_and_requested_users(self, client, make, db, cast):
        course = course_with(make, db, cast, "private")
        for editor in ("creator", "manager"):
            assert ids(listing(client, cast[editor], course, "invite")) == [cast["invited"].id]
            assert ids(listing(client, cast[editor], course, "request_join")) == [cast["requested"].id]

    def test_requests_can_be_searched_by_username_or_real_name(self, client, make, db, cast):
        course = course_with(make, db, cast, "private")
        other = make.user(username="quentin")
        other.real_name = "Rexford Q"
        hold(db, course, other, "requested")

        assert ids(listing(client, cast["creator"], course, "request_join", search="REX")) == [
            cast["requested"].id,
            other.id,
        ]
        assert ids(listing(client, cast["creator"], course, "request_join", search="quen")) == [other.id]
        assert ids(listing(client, cast["creator"], course, "request_join", search="%")) == []

    @pytest.mark.parametrize("kind", ["invite", "request_join", "users", "user"])
    @pytest.mark.parametrize(
        ("privacy", "caller", "status"),
        [("open", "joined", 403), ("private", "requested", 403), ("secret", "invited", 404), ("", "joined", 404)],
    )
    def test_editors_only(self, client, make, db, cast, kind, privacy, caller, status):
        course = course_with(make, db, cast, privacy)
        problem(listing(client, cast[caller], course, kind), status)


class TestDashboard:
    def test_each_person_with_status_progress_and_activity(self, client, make, db, cast):
        course = course_with(make, db, cast, "open", sections=1)
        first, second = make.lesson(course.sections[0]), make.lesson(course.sections[0])
        make.lesson(course.sections[0], status="draft")
        url = course_url(course, "section", course.sections[0], "lesson", first, "complete")
        assert client.post(url, headers=auth(cast["joined"])).status_code == 204
        assert second

        response = listing(client, cast["manager"], course, "users", statuses=["joined", "invited", "manager"])

        assert response.status_code == 200, response.text
        people = {item["id"]: item for item in response.json()["results"]}
        assert set(people) == {cast["joined"].id, cast["invited"].id, cast["manager"].id}
        joined = people[cast["joined"].id]
        assert joined["join_status"] == "joined"
        assert joined["user_completion_rate"] == 50
        assert joined["last_active_at"] is not None
        assert joined["joined_at"] is not None
        assert set(joined) == {
            "id", "username", "real_name", "avatar", "community_badge", "deleted",
            "join_status", "joined_at", "last_active_at", "user_completion_rate",
        }  # fmt: skip
        invited = people[cast["invited"].id]
        assert (invited["join_status"], invited["joined_at"], invited["user_completion_rate"]) == ("invited", None, 0)

    def test_ordering_and_default_statuses(self, client, make, db, cast):
        course = course_with(make, db, cast, "open", sections=1)
        lesson = make.lesson(course.sections[0])
        newer = make.user(username="newer")
        hold(db, course, newer, "joined", at=LONG_AGO + timedelta(days=1))
        db.execute(
            CourseMembership.__table__.update()
            .where(CourseMembership.user_id.in_([cast["joined"].id, cast["manager"].id]))
            .values(joined_at=LONG_AGO)
        )
        db.commit()
        url = course_url(course, "section", course.sections[0], "lesson", lesson, "complete")
        assert client.post(url, headers=auth(cast["joined"])).status_code == 204

        default = ids(listing(client, cast["creator"], course, "users"))
        # Newest membership first; the two that began together, by descending id.
        assert default == [newer.id, cast["joined"].id, cast["manager"].id]
        assert ids(listing(client, cast["creator"], course, "users", ordering="joined_at")) == [
            cast["manager"].id,
            cast["joined"].id,
            newer.id,
        ]
        active_first = ids(listing(client, cast["creator"], course, "users", ordering="-last_active_at"))
        assert active_first[0] == cast["joined"].id
        assert ids(listing(client, cast["creator"], course, "users", ordering="last_active_at"))[0] == cast["joined"].id
        assert ids(listing(client, cast["creator"], course, "users", search="newer")) == [newer.id]
        creator = listing(client, cast["creator"], course, "users", statuses="creator").json()["results"]
        assert [(c["id"], c["join_status"]) for c in creator] == [(cast["creator"].id, "creator")]
        problem(listing(client, cast["creator"], course, "users", ordering="name"), 400)


class TestSuggested:
    def test_active_users_without_any_status(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        make.user(username="gone", is_active=False)
        make.user(username="erased", deleted=True)
        fresh = make.user(username="fresh")
        fresh.real_name = "Stanley F"
        db.commit()

        assert ids(listing(client, cast["manager"], course, "user")) == [cast["stranger"].id, fresh.id]
        assert ids(listing(client, cast["manager"], course, "user", search="stan")) == [cast["stranger"].id, fresh.id]
        assert ids(listing(client, cast["manager"], course, "user", search="fresh")) == [fresh.id]


class TestUserCourses:
    def url(self, user):
        return f"{API}/user/{_id(user)}/courses/"

    def test_a_users_courses_as_the_caller_sees_them(self, client, make, db, cast):
        joan = cast["joined"]
        open_course = course_with(make, db, cast, "open")
        secret = make.course(cast["creator"], privacy="secret", joined=[joan])
        draft = make.course(cast["creator"], privacy="", joined=[joan])
        managed = make.course(make.user(), privacy="private", managers=[joan])
        make.course(make.user(), privacy="open")

        response = client.get(self.url(joan), headers=auth(cast["stranger"]))

        assert ids(response) == [managed.id, open_course.id]
        items = {item["id"]: item for item in response.json()["results"]}
        assert items[open_course.id]["join_status"] is None
        assert "description" not in items[managed.id]
        # A draft exists for its editors only, even for its members.
        assert ids(client.get(self.url(joan), headers=auth(joan))) == [managed.id, secret.id, open_course.id]
        mine = client.get(self.url(joan), params={"statuses": "creator"}, headers=auth(joan))
        assert ids(mine) == []
        created = client.get(self.url(cast["creator"]), params={"statuses": "creator"}, headers=auth(joan))
        assert ids(created) == [secret.id, open_course.id]
        everything = [managed.id, draft.id, secret.id, open_course.id]
        assert ids(client.get(self.url(joan), headers=auth(cast["creator"]))) == everything

    def test_hidden_member_counts_keep_the_course_out_for_others(self, client, make, db, cast):
        joan = cast["joined"]
        hidden = make.course(cast["creator"], privacy="open", joined=[joan], hide_member_count=True)

        assert ids(client.get(self.url(joan), headers=auth(cast["stranger"]))) == []
        assert ids(client.get(self.url(joan), headers=auth(joan))) == [hidden.id]
        own = client.get(self.url(joan), headers=auth(cast["creator"])).json()["results"]
        assert [(c["id"], c["member_count"]) for c in own] == [(hidden.id, 1)]
        assert "member_count" not in client.get(self.url(joan), headers=auth(joan)).json()["results"][0]

    def test_unknown_users_and_tokens(self, client, make, db, cast):
        problem(client.get(self.url(999_999), headers=auth(cast["joined"])), 404)
        problem(client.get(self.url(make.user(deleted=True)), headers=auth(cast["joined"])), 404)
        problem(client.get(self.url(cast["joined"])), 401)
        problem(client.get(self.url(cast["joined"]), params={"statuses": "invited"}, headers=auth(cast["joined"])), 400)


# --- member_count -------------------------------------------------------------------------------------


class TestMemberCount:
    def test_members_and_managers_are_counted(self, client, make, db, cast):
        course = course_with(make, db, cast, "open")
        assert client.get(course_url(course), headers=auth(cast["stranger"])).json()["member_count"] == 2
        assert join(client, cast["stranger"], course).json()["member_count"] == 3

    def test_a_hidden_count_is_shown_to_editors_only_in_the_join_answer(self, client, make, db, cast):
        course = course_with(make, db, cast, "open", hide_member_count=True)
        assert "member_count" not in join(client, cast["stranger"], course).json()
        assert join(client, cast["manager"], course).json()["member_count"] == 3

    # The lead's patch to api/web/responses.py represent_course (see the report) hides it everywhere.
    def test_a_hidden_count_is_left_out_of_every_course_answer_for_non_editors(self, client, make, db, cast):
        course = course_with(make, db, cast, "open", hide_member_count=True)
        assert client.get(course_url(course), headers=auth(cast["manager"])).json()["member_count"] == 2
        assert "member_count" not in client.get(course_url(course), headers=auth(cast["joined"])).json()


# The lead's patch to api/rules/access.py sees_in_full (see the report): a waiting invitation or request
# is no access, so a private course shows its minimal form.
@pytest.mark.parametrize("waiting", ["invited", "requested"])
def test_waiting_users_see_a_private_course_in_its_minimal_form(client, make, db, cast, waiting):
    course = course_with(make, db, cast, "private", description="For members")
    body = client.get(course_url(course), headers=auth(cast[waiting])).json()
    assert body["join_status"] == waiting
    assert "description" not in body


# --- The scenario ---------------------------------------------------------------------------


def test_owner_accepts_a_request_invites_a_second_user_and_removes_a_third(client, make, db, alice):
    """Through the API alone, as issue 15's "Done when" tells it."""
    ann, ben, cid = make.user(username="ann"), make.user(username="ben"), make.user(username="cid")
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        created = client.post(
            f"{API}/course/", json={"name": "Night skies", "type": "self-paced"}, headers=auth(alice)
        ).json()
        course = created["id"]
        section = client.post(course_url(course, "section"), json={"name": "Basics"}, headers=auth(alice)).json()
        lesson = client.post(
            course_url(course, "section", section["id"], "lesson"),
            json={"name": "The moon", "status": "published"},
            headers=auth(alice),
        ).json()
        assert client.patch(course_url(course), json={"privacy": "private"}, headers=auth(alice)).status_code == 200

        # A request, accepted.
        assert join(client, ann, course).json()["join_status"] == "requested"
        assert status_of(client, ann, course) == "requested"
        assert ids(listing(client, alice, course, "request_join")) == [ann.id]
        clock.shift(timedelta(hours=1))
        assert invite(client, alice, course, ann).status_code == 204
        assert status_of(client, ann, course) == "joined"
        assert ids(listing(client, alice, course, "request_join")) == []

        # An invitation, accepted by joining.
        assert invite(client, alice, course, ben).status_code == 204
        assert status_of(client, ben, course) == "invited"
        assert ids(listing(client, alice, course, "invite")) == [ben.id]
        clock.shift(timedelta(hours=1))
        assert join(client, ben, course).json()["join_status"] == "joined"
        complete = course_url(course, "section", section["id"], "lesson", lesson["id"], "complete")
        clock.shift(timedelta(minutes=5))
        assert client.post(complete, headers=auth(ben)).status_code == 204

        # A third member, removed.
        assert join(client, cid, course).json()["join_status"] == "requested"
        assert invite(client, alice, course, cid).status_code == 204
        assert leave(client, alice, course, cid).status_code == 204
        assert status_of(client, cid, course) is None

        dashboard = listing(client, alice, course, "users").json()
        assert dashboard["count"] == 2
        assert [
            (p["username"], p["join_status"], p["user_completion_rate"], p["joined_at"], p["last_active_at"])
            for p in dashboard["results"]
        ] == [
            ("ben", "joined", 100, "2027-03-01T11:00:00+00:00", "2027-03-01T11:05:00+00:00"),
            ("ann", "joined", 0, "2027-03-01T10:00:00+00:00", None),
        ]
        # Members see each other; a stranger sees the private course's members too, but not inside it.
        for caller in (ann, ben, cid):
            assert ids(listing(client, caller, course, "join")) == [ann.id, ben.id]
        assert status_of(client, alice, course) == "creator"
        assert listing(client, ann, course, "users").status_code == 403
        assert client.get(course_url(course), headers=auth(alice)).json()["member_count"] == 2


# The lead's patch to api/rules/access.py holds_any_role (see the report).
def test_my_courses_lists_waiting_invitations_and_requests(client, make, db, cast):
    course = course_with(make, db, cast, "private")
    for waiting in ("invited", "requested"):
        response = client.get(f"{API}/course/", params={"statuses": waiting}, headers=auth(cast[waiting]))
        assert ids(response) == [course.id]
        assert response.json()["results"][0]["join_status"] == waiting
