"""What callers learn about what they may not see, odd tokens, and revoking access (issue 11).

One class per item: search shows nothing hidden (6), odd tokens and short secrets (10, its JWT part),
revoking access from inactive users (11), and the three cheap leaks of item 12 (picture file names,
section answers to non-editors, the minimal form's ETag), and membership (issue 15: courses one may
not see, hidden member counts, a user's courses). Refusals are checked with `refused` of
tests/test_hostile.py: the exact 4xx problem document, and not a row changed.
"""

import dataclasses
import hashlib
import string
import time

import pytest
from sqlalchemy import select

from api.app import create_app
from api.cli import main as cli_main
from api.config import ConfigurationError, Settings
from api.pictures import images
from models import CourseMembership
from tests.support.data import NON_EDITORS
from tests.support.databases import empty_database
from tests.support.http import API, COURSES, course_url, error_codes, without_request_id
from tests.support.tokens import SECRET, auth, make_token
from tests.test_hostile import refused, snapshot
from tests.test_images import data_url, picture
from tests.test_query_counts import search_plan

SEARCH = f"{API}/course/search/"


def found(client, user, term) -> tuple[list[int], int]:
    """The ids and the count of a search as `user` sees them."""
    response = client.get(SEARCH, params={"search": term, "limit": 100}, headers=auth(user))
    assert response.status_code == 200, response.text
    body = response.json()
    return [course["id"] for course in body["results"]], body["count"]


# --- Item 6 --------------------------------------------------------------------------------------


class TestSearchShowsNothingHidden:
    """A non-member's search of a private course only looks at its name, the part they can read."""

    NAME = "Pottery for beginners"
    # The hidden descriptions of the two worlds; the shared word is in both, and in an open course.
    HIDDEN = ("zygote quiz jam kiln", "vortex whelk lynx kiln")
    SHARED = "kiln"
    TERMS = ["zygote", "quiz jam", "xte", "whelk", "lynx kiln", "z", "x", SHARED, "pottery", "for beg", "o", "e"]

    def world(self, app, db, make, description):
        """An empty database but for these rows, so that both worlds get the same ids."""
        empty_database(app.app.extensions["course_api.engine"])
        db.expunge_all()
        creator, member, outsider = make.user(), make.user(), make.user()
        make.course(creator, privacy="open", name="Open studio", description="Fire the kiln at noon")
        hidden = make.course(creator, privacy="private", name=self.NAME, description=description, joined=[member])
        return hidden.id, member, outsider

    def test_the_results_do_not_depend_on_the_hidden_text(self, app, client, db, make):
        seen = []
        for description in self.HIDDEN:
            _, _, outsider = self.world(app, db, make, description)
            seen.append({term: found(client, outsider, term) for term in self.TERMS})

        assert seen[0] == seen[1]

    def test_a_member_finds_the_description_an_outsider_only_the_name(self, app, client, db, make):
        course_id, member, outsider = self.world(app, db, make, self.HIDDEN[0])

        assert found(client, member, "quiz jam") == ([course_id], 1)
        assert found(client, outsider, "quiz jam") == ([], 0)
        assert found(client, member, "pottery for") == found(client, outsider, "pottery for") == ([course_id], 1)
        # Open courses stay searchable by their description for everyone.
        assert found(client, outsider, "noon")[1] == 1

    def test_the_hidden_description_cannot_be_spelled_out(self, app, client, db, make):
        description = "secret plan 42 to go"  # 20 characters
        course_id, _, outsider = self.world(app, db, make, description)

        recovered, probes = spell_out(client, outsider, course_id, self.NAME.casefold())

        # Before the fix: the whole description, in 785 searches.
        assert recovered == "", f"recovered {recovered!r} in {probes} searches"

    @pytest.mark.parametrize("term", ["a\x1fb", "\x1f"], ids=["inside", "alone"])
    def test_a_term_holding_the_separator_is_refused(self, client, db, make, alice, term):
        make.course(alice, name="Anything")
        before = snapshot(db)

        response = client.get(SEARCH, params={"search": term}, headers=auth(alice))

        assert "search" in error_codes(refused(response, 400, db, before))

    def test_the_search_still_uses_the_index(self, app, make, alice, bob):
        make.course(alice, privacy="private", name="Watercolour")

        plan = search_plan(app, "watercolour", user=bob)

        assert ("courses_search" in plan) or ("ix_courses_search_text_trgm" in plan), plan


ALPHABET = string.ascii_lowercase + string.digits + " "


def spell_out(client, user, course_id, known_name) -> tuple[str, int]:
    """Read a course's hidden text through searches alone: grow a matching fragment one character at a time.

    Terms that occur in the known name would match anyway and tell nothing, so they are not tried.
    The fragment can only end as the whole hidden text: a shorter one could still grow at some side.
    Returns what was read, and the number of searches it took.
    """
    probes = 0

    def matches(term):
        nonlocal probes
        probes += 1
        return course_id in found(client, user, term)[0]

    def grown(fragment):
        longer = [fragment + c for c in ALPHABET] + ([c + fragment for c in ALPHABET] if fragment else [])
        return next((term for term in longer if term not in known_name and matches(term)), None)

    fragment = ""
    while (longer := grown(fragment)) is not None:
        fragment = longer
    return fragment, probes


# --- Item 10, the JWT part -----------------------------------------------------------------------


# Claims a token may not carry, as functions of the current time (the token's user is alice).
ODD_CLAIMS = {
    "user-id-2**70": lambda now: {"user_id": 2**70},
    "iat-string": lambda now: {"iat": str(now)},
    "exp-string": lambda now: {"exp": str(now + 600)},
    "nbf-string": lambda now: {"nbf": str(now)},
    "iat-true": lambda now: {"iat": True},
}


class TestOddTokens:
    @pytest.mark.parametrize("odd", list(ODD_CLAIMS))
    def test_is_refused(self, client, db, alice, odd):
        claims = {"user_id": alice.id} | ODD_CLAIMS[odd](int(time.time()))
        before = snapshot(db)

        response = client.get(COURSES, headers={"Authorization": f"Bearer {make_token(**claims)}"})

        refused(response, 401, db, before)

    def test_user_ids_end_at_2_to_the_53(self, client, db):
        before = snapshot(db)

        largest, beyond, huge = (
            client.get(COURSES, headers={"Authorization": f"Bearer {make_token(n)}"}) for n in (2**53 - 1, 2**53, 2**63)
        )

        # The largest is looked up: it names no user, which is an ordinary 401.
        assert "does not exist" in refused(largest, 401, db, before)["detail"]
        assert "9007199254740991" in refused(beyond, 401, db, before)["detail"]
        assert "9007199254740991" in refused(huge, 401, db, before)["detail"]

    def test_start_up_refuses_a_short_secret_not_the_generated_one(self, monkeypatch, tmp_path, settings):
        monkeypatch.delenv("JWT_SECRET", raising=False)
        monkeypatch.setattr("api.config.INSTANCE_DIR", tmp_path)
        generated = Settings().jwt_secret

        with pytest.raises(ConfigurationError, match="JWT_SECRET is 31 bytes long; HS256 needs at least 32"):
            create_app(dataclasses.replace(settings, jwt_secret="s" * 31))
        for accepted in ("s" * 32, generated, SECRET):
            create_app(dataclasses.replace(settings, jwt_secret=accepted))

    def test_the_length_is_counted_in_bytes(self, settings):
        eleven_letters = "é" * 11  # 22 bytes in UTF-8
        with pytest.raises(ConfigurationError, match="22 bytes"):
            create_app(dataclasses.replace(settings, jwt_secret=eleven_letters))

    def test_serve_refuses_a_short_secret_with_one_clear_line(self, monkeypatch):
        monkeypatch.setenv("JWT_SECRET", "too-short")
        with pytest.raises(SystemExit) as refusal:
            cli_main(["serve"])

        assert str(refusal.value).startswith("course-api: JWT_SECRET is 9 bytes long")


# --- Item 11 -------------------------------------------------------------------------------------


def change(client, user, course, body):
    return client.post(course_url(course, "role"), json=body, headers=auth(user))


def roles(db, course) -> dict[int, str]:
    db.commit()
    return dict(
        db.execute(
            select(CourseMembership.user_id, CourseMembership.role).where(CourseMembership.course_id == course.id)
        ).all()
    )


@pytest.mark.parametrize("state", [{"is_active": False}, {"deleted": True}], ids=["inactive", "deleted"])
class TestRevokingAccess:
    """Users who are no longer active can lose their role in a course, and gain nothing."""

    def gone(self, db, state, *users):
        for user in users:
            for name, value in state.items():
                setattr(user, name, value)
        db.commit()

    def test_a_member_can_be_removed(self, client, db, make, alice, state):
        member = make.user()
        course = make.course(alice, joined=[member])
        self.gone(db, state, member)

        response = change(client, alice, course, {"unjoined": [member.id]})

        assert response.status_code == 204, response.text
        assert roles(db, course) == {}

    def test_a_manager_can_be_removed(self, client, db, make, alice, state):
        manager = make.user()
        course = make.course(alice, managers=[manager])
        self.gone(db, state, manager)

        assert change(client, alice, course, {"unjoined": [manager.id]}).status_code == 204
        assert roles(db, course) == {}

    def test_a_manager_can_be_demoted(self, client, db, make, alice, state):
        manager, member = make.user(), make.user()
        course = make.course(alice, managers=[manager], joined=[member])
        self.gone(db, state, manager, member)

        response = change(client, alice, course, {"joined": [manager.id, member.id]})

        assert response.status_code == 204, response.text
        assert roles(db, course) == {manager.id: "joined", member.id: "joined"}

    @pytest.mark.parametrize(
        ("held", "field"),
        [(None, "joined"), (None, "managers"), (None, "unjoined"), ("joined", "managers"), ("manager", "managers")],
        ids=["add", "add-as-manager", "remove-without-role", "promote", "manager-again"],
    )
    def test_giving_them_anything_is_refused_and_stops_the_whole_change(
        self, client, db, make, alice, state, held, field
    ):
        user, leaving = make.user(), make.user()
        managers = [user] if held == "manager" else []
        course = make.course(alice, managers=managers, joined=[leaving] + ([user] if held == "joined" else []))
        self.gone(db, state, user, leaving)
        # The removal of `leaving` alone would be allowed: the refusal of `user` must stop it too.
        body = {"unjoined": [leaving.id]}
        body[field] = body.get(field, []) + [user.id]
        before = snapshot(db)

        response = change(client, alice, course, body)

        errors = refused(response, 400, db, before)["errors"]
        assert errors == [
            {"field": field, "messages": [{"code": "does_not_exist", "message": f"No such users: [{user.id}]."}]}
        ]


# --- Item 12 -------------------------------------------------------------------------------------


class TestPictureNames:
    """Holding a picture does not tell its URL, so it cannot be used to find the secret course using it."""

    def secret_course_with(self, client, alice, content):
        response = client.post(
            COURSES,
            json={"name": "Hidden", "type": "self-paced", "privacy": "secret", "image_original": data_url(content)},
            headers=auth(alice),
        )
        assert response.status_code == 201, response.text
        return response.json()

    def test_the_name_cannot_be_computed_from_the_picture(self, client, alice):
        content = picture()
        course = self.secret_course_with(client, alice, content)
        plain = hashlib.sha256(images.RENDERING.encode() + b"\0" + content).hexdigest()[:32]

        probe = client.get(f"{API}/media/course/{course['id']}/{plain}-96.webp")
        real = client.get(course["image_small"].removeprefix("http://testserver"))

        assert (probe.status_code, real.status_code) == (404, 200)
        assert plain not in course["image_small"]

    def test_the_name_depends_on_the_server_key(self):
        content = picture()
        one = Settings(jwt_secret="a" * 32, database_url="sqlite://").media_key
        other = Settings(jwt_secret="b" * 32, database_url="sqlite://").media_key

        assert images.file_name(content, one) != images.file_name(content, other)
        assert images.file_name(content, one) == images.file_name(content, one)
        assert one != b"a" * 32  # a key of its own, not the token secret


# The requests that take a section id; a section id that names no section at all.
SECTION_REQUESTS = [("GET", None), ("PUT", {"name": "Renamed"}), ("PATCH", {"name": "Renamed"}), ("DELETE", None)]
MISSING_SECTION = 987654


class TestSectionAnswersToNonEditors:
    """A caller who may not edit a course gets one answer for any section id under it: 403 or 404."""

    @pytest.mark.parametrize(("method", "body"), SECTION_REQUESTS, ids=[m for m, _ in SECTION_REQUESTS])
    def test_the_answer_does_not_depend_on_the_section(self, client, db, make, alice, method, body):
        people = {"joined": make.user(), "stranger": make.user()}
        by_privacy = {
            privacy: make.course(alice, privacy=privacy, sections=1, joined=[people["joined"]])
            for privacy in {privacy for privacy, _, _ in NON_EDITORS}
        }
        foreign_section = make.course(alice, sections=1).sections[0].id
        before = snapshot(db)

        for privacy, relation, status in NON_EDITORS:
            course = by_privacy[privacy]
            for section_id in (course.sections[0].id, foreign_section, MISSING_SECTION):
                url = course_url(course, "section", section_id)
                response = client.request(method, url, json=body, headers=auth(people[relation]))
                refused(response, status, db, before)
        # Editors alone learn that an id is not a section of the course.
        for section_id in (foreign_section, MISSING_SECTION):
            url = course_url(by_privacy["open"], "section", section_id)
            refused(client.request(method, url, json=body, headers=auth(alice)), 404, db, before)


class TestMinimalFormTag:
    """The ETag of the minimal form is made from what it shows, not from the revision."""

    def read(self, client, user, course, **headers):
        return client.get(course_url(course), headers=auth(user) | headers)

    def test_does_not_reveal_the_revision(self, client, make, alice, bob):
        member = make.user()
        course = make.course(alice, privacy="private", description="Plans", revision=7, joined=[member])

        tag = self.read(client, bob, course).headers["ETag"]

        assert "r7" not in tag and tag.startswith(f'"c{course.id}-m')
        # A member reads the revision anyway: their tag starts with it, then goes on with their progress.
        assert self.read(client, member, course).headers["ETag"].startswith(f'"c{course.id}-r7-p')

    def test_changes_with_what_it_shows_only(self, client, make, alice, bob):
        course = make.course(alice, privacy="private", description="Plans")
        first = self.read(client, bob, course)

        edited = client.patch(course_url(course), json={"description": "Other plans"}, headers=auth(alice))
        assert edited.status_code == 200, edited.text
        unchanged = self.read(client, bob, course, **{"If-None-Match": first.headers["ETag"]})
        renamed = client.patch(course_url(course), json={"name": "Renamed"}, headers=auth(alice))
        assert renamed.status_code == 200, renamed.text
        changed = self.read(client, bob, course, **{"If-None-Match": first.headers["ETag"]})

        assert (unchanged.status_code, unchanged.headers["ETag"]) == (304, first.headers["ETag"])
        assert (changed.status_code, changed.json()["name"]) == (200, "Renamed")
        assert changed.headers["ETag"] != first.headers["ETag"]
        assert self.read(client, bob, course, **{"If-None-Match": changed.headers["ETag"]}).status_code == 304


# --- Membership (issue 15) -----------------------------------------------------------------------
# Every operation of the members section: (method, path under the course or None for a user's
# courses, query, body).
MEMBER_OPERATIONS = {
    "join": ("POST", "join", None, None),
    "leave": ("DELETE", "join", None, None),
    "remove": ("DELETE", "join", {"user": "{member}"}, None),
    "members": ("GET", "join", None, None),
    "invite": ("POST", "invite", None, {"users": ["{member}"]}),
    "uninvite": ("DELETE", "invite", None, {"users": ["{member}"]}),
    "invited": ("GET", "invite", None, None),
    "requests": ("GET", "request_join", None, None),
    "status": ("GET", "status", None, None),
    "dashboard": ("GET", "users", None, None),
    "suggested": ("GET", "user", None, None),
}
MISSING_COURSE = 987654


def member_request(client, user, course_id, op, member_id):
    method, where, query, body = MEMBER_OPERATIONS[op]
    fill = {"member": member_id}
    params = {key: int(value.format(**fill)) for key, value in (query or {}).items()}
    json_body = {"users": [member_id]} if body else None
    return client.request(method, course_url(course_id, where), params=params, json=json_body, headers=auth(user))


def keys_anywhere(value) -> set[str]:
    """Every key of every object inside a JSON value."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_anywhere(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_anywhere(item)}
    return set()


class TestMembershipOfWhatOneCannotSee:
    """A course one may not see answers every membership operation exactly as a course that does not exist."""

    @pytest.mark.parametrize("privacy", ["secret", "draft"])
    @pytest.mark.parametrize("op", MEMBER_OPERATIONS)
    def test_is_the_same_404_as_a_missing_course(self, client, db, make, alice, op, privacy):
        member, stranger = make.user(), make.user()
        course = make.course(alice, privacy="" if privacy == "draft" else privacy, sections=1, joined=[member])
        before = snapshot(db)

        # Without its request id, which differs between any two answers (and is random hex).
        hidden = without_request_id(
            refused(member_request(client, stranger, course.id, op, member.id), 404, db, before)
        )
        missing = without_request_id(
            refused(member_request(client, stranger, MISSING_COURSE, op, member.id), 404, db, before)
        )

        assert hidden == missing
        assert str(course.id) not in str(hidden) and course.name not in str(hidden)

    @pytest.mark.parametrize("op", ["members", "invited", "requests", "dashboard", "suggested"])
    def test_an_invitation_to_a_secret_course_opens_none_of_its_lists(self, client, db, make, alice, op):
        # An invitee may answer (status, join, leave) and nothing else: the lists stay hidden.
        member, invitee = make.user(), make.user()
        course = make.course(alice, privacy="secret", joined=[member])
        make.db.add(CourseMembership(course_id=course.id, user_id=invitee.id, role="invited"))
        make.db.commit()
        before = snapshot(db)

        hidden = refused(member_request(client, invitee, course.id, op, member.id), 404, db, before)

        missing = refused(member_request(client, invitee, MISSING_COURSE, op, member.id), 404, db, before)
        assert without_request_id(hidden) == without_request_id(missing)
        assert client.get(course_url(course, "status"), headers=auth(invitee)).json() == {"status": "invited"}


class TestHiddenMemberCount:
    """With `hide_member_count`, no answer to a non-editor holds the count or the list of members."""

    @pytest.fixture
    def hidden(self, make, alice):
        people = {"joined": make.user(), "requested": make.user(), "invited": make.user(), "stranger": make.user()}
        manager = make.user()
        course = make.course(
            alice,
            privacy="open",
            name="Quiet course",
            hide_member_count=True,
            sections=1,
            managers=[manager],
            joined=[people["joined"]],
        )
        for role in ("requested", "invited"):
            make.db.add(CourseMembership(course_id=course.id, user_id=people[role].id, role=role))
        make.db.commit()
        return course, people, manager

    def answers(self, client, course, user, member_id):
        urls = [
            course_url(course),
            course_url(course) + "?view=user",
            f"{COURSES}?statuses=joined&statuses=invited&statuses=requested",
            f"{SEARCH}?search=Quiet",
            f"{API}/user/{member_id}/courses/",
            f"{API}/user/{user.id}/courses/?statuses=joined",
        ]
        for url in urls:
            response = client.get(url, headers=auth(user))
            assert response.status_code == 200, (url, response.text)
            yield url, response.json()
        joined = client.post(course_url(course, "join"), headers=auth(user))
        assert joined.status_code == 200, joined.text
        yield "join", joined.json()

    @pytest.mark.parametrize("who", ["joined", "requested", "invited", "stranger"])
    def test_no_answer_to_a_non_editor_holds_the_count(self, client, hidden, who):
        course, people, _ = hidden
        for url, body in self.answers(client, course, people[who], people["joined"].id):
            assert "member_count" not in keys_anywhere(body), (url, body)

    @pytest.mark.parametrize("who", ["joined", "requested", "invited", "stranger"])
    def test_the_member_list_is_refused_to_non_editors(self, client, db, hidden, who):
        course, people, _ = hidden
        before = snapshot(db)

        response = client.get(course_url(course, "join"), headers=auth(people[who]))

        refused(response, 403, db, before)

    def test_a_user_s_courses_do_not_list_it_to_others(self, client, hidden):
        # Listing it would tell who is a member; the member themself and the editors still see it.
        course, people, manager = hidden
        member = people["joined"]
        for who in ("requested", "invited", "stranger"):
            assert client.get(f"{API}/user/{member.id}/courses/", headers=auth(people[who])).json()["count"] == 0
        for viewer in (member, manager):
            listed = client.get(f"{API}/user/{member.id}/courses/", headers=auth(viewer)).json()["results"]
            assert [c["id"] for c in listed] == [course.id]

    def test_editors_see_the_count(self, client, alice, hidden):
        # Control: the count is in the answer when the caller may see it, so the checks above can fail.
        course, _, manager = hidden
        for editor in (alice, manager):
            assert client.get(course_url(course), headers=auth(editor)).json()["member_count"] == 2


class TestUserCoursesShowOnlyWhatTheCallerMaySee:
    def test_a_stranger_sees_the_open_and_private_courses_only_in_the_form_they_may_see(self, client, make, alice, bob):
        member = make.user()
        courses = {
            privacy: make.course(alice, privacy=privacy, description=f"Inside {privacy or 'draft'}", joined=[member])
            for privacy in ("open", "private", "secret", "")
        }

        response = client.get(f"{API}/user/{member.id}/courses/", headers=auth(bob))

        assert response.status_code == 200, response.text
        listed = {c["id"]: c for c in response.json()["results"]}
        assert set(listed) == {courses["open"].id, courses["private"].id}
        assert response.json()["count"] == 2
        assert "description" not in listed[courses["private"].id], "a private course shows a stranger its minimal form"
        assert listed[courses["open"].id]["description"] == "Inside open"
        # The member sees them all but the draft, which only its editors see.
        mine = client.get(f"{API}/user/{member.id}/courses/", headers=auth(member)).json()
        assert {c["id"] for c in mine["results"]} == {courses[p].id for p in ("open", "private", "secret")}

    def test_waiting_statuses_are_not_a_filter_of_this_list(self, client, db, make, alice, bob):
        # Whom a course invited, or who asked to join, is for the course's editors and that user: a
        # user's courses list memberships only, so asking for waiting ones is a 400 for anyone.
        waiting = make.user()
        course = make.course(alice, privacy="private")
        make.db.add(CourseMembership(course_id=course.id, user_id=waiting.id, role="requested"))
        make.db.commit()
        before = snapshot(db)

        response = client.get(f"{API}/user/{waiting.id}/courses/", params={"statuses": "requested"}, headers=auth(bob))

        refused(response, 400, db, before)

    def test_a_missing_user_is_a_404_and_a_deleted_one_too(self, client, db, make, bob):
        deleted = make.user(deleted=True)
        make.course(make.user(), privacy="open", joined=[deleted])
        before = snapshot(db)

        gone = refused(client.get(f"{API}/user/{deleted.id}/courses/", headers=auth(bob)), 404, db, before)
        missing = refused(client.get(f"{API}/user/{MISSING_COURSE}/courses/", headers=auth(bob)), 404, db, before)

        assert without_request_id(gone) == without_request_id(missing)
