"""Who may do what: every role against every operation of the spec, on every kind of target and privacy.

The expected status of each cell comes from `expected()` below, a direct transcription of the rules in
openapi/v2.yaml (its top description and each operation's description), written without the API's code:

* Anonymous callers (no token) get 401 everywhere except `GET /health/`, the media files (here a
  course file that does not exist: 404 for everyone; tests/test_images.py serves real ones), the
  neutral picture and the platform's preferences and features, which need no token. This matrix runs
  with CONTENT_AVAILABILITY off (the default); what visitors may do with it on is tested in
  tests/test_web_ui_calls.py (TestVisitors).
* Visibility: a draft (privacy "") exists only for its creator and managers, a `secret` course only
  for its members (creator, managers, joined); `open` and `private` courses are visible to every
  authenticated user. Invisible answers 404, visible but not allowed answers 403.
* Only the creator and the managers may change a course, its sections or its roles, list or get
  its sections, or read `view=edit`.
* A section is only found under its own course: under any other course's path it answers 404 to
  those who may edit that course; those who may only see it get 403 whatever the section id.
* Staff have no extra rights over courses; they alone may create categories (others get 403).
* `view=dashboard`, and `view=user` with `user=ID` (the course as one of its members sees it), are
  for the creator and the managers: 403 to anyone else who sees the course.
* Lessons (the `progress` tag and the lesson operations): listing, creating, changing and deleting
  them is for the creator and the managers, like sections, with the same 403-before-lookup rule.
  Reading a lesson and marking it complete or incomplete is also open to members (`joined`) for a
  published lesson that is not locked (every lesson of the world is one: self-paced courses, no
  enforced order); a lesson is only found under its own section of its own course (404 to editors
  and members otherwise). Anyone else who sees the course gets 403 `not_joined` whatever the ids.

Every cell builds its own small world (the database is emptied per test) and asserts the exact status.
A second check counts the cells where the rules say "not allowed" but the API answered 2xx; the module
prints a summary line and fails if that count is not zero. The listings additionally must return
exactly the courses the caller may see.
"""

import uuid

import pytest

from api.app import load_spec
from models import CourseMembership
from tests.support.http import API, COURSES, course_url, error_codes
from tests.support.tokens import auth

# --- The people and the targets ------------------------------------------------------------------

ANONYMOUS, UNRELATED, JOINED, OTHER_MANAGER, MANAGER, CREATOR, STAFF = (
    "anonymous",
    "unrelated",
    "joined",
    "other_manager",
    "manager",
    "creator",
    "staff",
)
ROLES = [ANONYMOUS, UNRELATED, JOINED, OTHER_MANAGER, MANAGER, CREATOR, STAFF]
# Waiting for an answer in the own course: the membership operations are checked with them too.
INVITED, REQUESTED = "invited", "requested"
MEMBER_ROLES = [*ROLES, INVITED, REQUESTED]
PRIVACIES = ["open", "private", "secret", ""]
PRIVACY_IDS = {"open": "open", "private": "private", "secret": "secret", "": "draft"}

OWN, FOREIGN, FOREIGN_SECTION = "own", "foreign", "foreign_section"
# A lesson of the own course's second section, asked for under its first section.
OTHER_SECTION_LESSON = "other_section_lesson"

# Each caller's relation to each course of the world built by `World` (absent: no relation).
# `own` is the course the caller's role refers to; `sibling` (same creator, same members, and managed by
# `other_manager` too) lends the section used under the own course's path; `foreign` belongs to a
# different creator and none of the callers holds a role in it.
RELATIONS = {
    "own": {CREATOR: "creator", MANAGER: "manager", JOINED: "joined", INVITED: "invited", REQUESTED: "requested"},
    "sibling": {CREATOR: "creator", MANAGER: "manager", OTHER_MANAGER: "manager", JOINED: "joined"},
    "foreign": {},
}


# --- The operations ------------------------------------------------------------------------------

# name: (method, path kind, status on success)
COURSE_OPERATIONS = {
    "get_course": ("GET", "course", 200),
    "get_course_edit": ("GET", "course", 200),  # view=edit
    "put_course": ("PUT", "course", 200),
    "patch_course": ("PATCH", "course", 200),
    "delete_course": ("DELETE", "course", 204),
    "list_sections": ("GET", "sections", 200),
    "create_section": ("POST", "sections", 201),
    "change_roles": ("POST", "roles", 204),
    "get_section": ("GET", "section", 200),
    "put_section": ("PUT", "section", 200),
    "patch_section": ("PATCH", "section", 200),
    "delete_section": ("DELETE", "section", 204),
    "get_course_dashboard": ("GET", "course", 200),  # view=dashboard
    "get_course_as_member": ("GET", "course", 200),  # view=user&user=<the joined user>
    "list_lessons": ("GET", "lessons", 200),
    "create_lesson": ("POST", "lessons", 201),
    "get_lesson": ("GET", "lesson", 200),
    "put_lesson": ("PUT", "lesson", 200),
    "patch_lesson": ("PATCH", "lesson", 200),
    "delete_lesson": ("DELETE", "lesson", 204),
    "complete_lesson": ("POST", "complete", 204),
    "incomplete_lesson": ("POST", "incomplete", 204),
}
# Query parameters of the operations that are variants of GET /course/{id}/ (`user` is filled in later).
VIEWS = {
    "get_course_edit": {"view": "edit"},
    "get_course_dashboard": {"view": "dashboard"},
    "get_course_as_member": {"view": "user", "user": None},
}
# The lesson operations a member may use on a lesson open to them; the others are for editors.
TAKING_LESSONS = {"get_lesson", "complete_lesson", "incomplete_lesson"}
GLOBAL_OPERATIONS = {
    "create_course": ("POST", f"{COURSES}", 201),
    "list_courses": ("GET", f"{COURSES}", 200),
    "search_courses": ("GET", f"{COURSES}search/", 200),
    "list_categories": ("GET", f"{API}/category/", 200),
    "create_category": ("POST", f"{API}/category/", 201),
    "health": ("GET", f"{API}/health/", 200),
    "get_media": ("GET", f"{API}/media/course/1/{'0' * 32}-96.webp", 404),
    "get_default_media": ("GET", f"{API}/media/default/course-96.webp", 200),
    "current_user": ("GET", f"{API}/user/me/", 200),
    "preferences": ("GET", f"{API}/dynamic_preference/", 200),
    "features": ("GET", f"{API}/feature/", 200),
}
# Operations that need no token at all.
PUBLIC = {"health", "get_media", "get_default_media", "preferences", "features"}
SPEC_OPERATIONS = 41  # the views are variants of GET /course/{id}/, not operations of their own

# The operations of the `members` tag on a course: name: (method, path under the course, status on success).
MEMBER_OPERATIONS = {
    "join": ("POST", "join", 200),
    "leave": ("DELETE", "join", 204),
    "remove_member": ("DELETE", "join", 204),  # user=<the course's joined member>
    "list_members": ("GET", "join", 200),
    "invite": ("POST", "invite", 204),
    "uninvite": ("DELETE", "invite", 204),
    "list_invited": ("GET", "invite", 200),
    "list_requests": ("GET", "request_join", 200),
    "status": ("GET", "status", 200),
    "dashboard_users": ("GET", "users", 200),
    "suggested_users": ("GET", "user", 200),
}
# Operations about the caller's own status: an invitation to a secret course is enough to reach them.
OWN_STATUS = {"join", "leave", "status"}
# Operations whose audience is everyone who may see the course (the world hides no member count).
SEEN_BY_ALL = {"list_members"}


def targets_of(operation):
    """A section id from another course only makes sense for the operations that take a section id."""
    kind = COURSE_OPERATIONS[operation][1]
    if kind in ("section", "lessons"):
        return [OWN, FOREIGN, FOREIGN_SECTION]
    if kind in ("lesson", "complete", "incomplete"):
        return [OWN, FOREIGN, FOREIGN_SECTION, OTHER_SECTION_LESSON]
    return [OWN, FOREIGN]


# --- The rules -----------------------------------------------------------------------------------


def relation_of(role, course):
    return RELATIONS[course].get(role)


def can_see(privacy, relation):
    if privacy in ("open", "private"):
        return True
    if privacy == "secret":
        return relation in ("creator", "manager", "joined")
    return relation in ("creator", "manager")  # draft


def expected(operation, role, target=None, privacy=None):
    """The status the rules give for one cell."""
    if operation in PUBLIC:
        return GLOBAL_OPERATIONS[operation][2]
    if role == ANONYMOUS:
        return 401
    if operation in GLOBAL_OPERATIONS:
        if operation == "create_category":
            return 201 if role == STAFF else 403
        return GLOBAL_OPERATIONS[operation][2]
    relation = relation_of(role, "foreign" if target == FOREIGN else "own")
    if not can_see(privacy, relation):
        return 404
    if operation == "get_course":
        return 200
    misplaced = target in (FOREIGN_SECTION, OTHER_SECTION_LESSON)
    if operation in TAKING_LESSONS and relation == "joined":
        return 404 if misplaced else COURSE_OPERATIONS[operation][2]
    if relation not in ("creator", "manager"):
        return 403  # before any section or lesson lookup: a non-editor cannot tell which ids exist
    if misplaced:
        return 404  # a section of another course, or a lesson of another section, does not exist here
    return COURSE_OPERATIONS[operation][2]


def allowed(status):
    return 200 <= status < 300


# --- The world of one cell -----------------------------------------------------------------------


class World:
    def __init__(self, make, privacies):
        self.users = {
            CREATOR: make.user(username="creator"),
            MANAGER: make.user(username="manager"),
            JOINED: make.user(username="joined"),
            UNRELATED: make.user(username="unrelated"),
            OTHER_MANAGER: make.user(username="other_manager"),
            STAFF: make.user(username="staff", is_staff=True),
        }
        self.users[INVITED] = make.user(username="invited")
        self.users[REQUESTED] = make.user(username="requested")
        self.outsider = make.user(username="outsider")
        self.newcomer = make.user(username="newcomer")
        self.foreign_member = make.user(username="foreign_member")
        u = self.users
        self.courses = {}  # (kind, privacy) -> course
        for privacy in privacies:
            self.courses["own", privacy] = make.course(
                u[CREATOR], privacy=privacy, sections=2, managers=[u[MANAGER]], joined=[u[JOINED]]
            )
            for waiting in (INVITED, REQUESTED):
                make.db.add(
                    CourseMembership(course_id=self.courses["own", privacy].id, user_id=u[waiting].id, role=waiting)
                )
            make.db.commit()
            self.courses["sibling", privacy] = make.course(
                u[CREATOR], privacy=privacy, sections=1, managers=[u[MANAGER], u[OTHER_MANAGER]], joined=[u[JOINED]]
            )
            self.courses["foreign", privacy] = make.course(
                self.outsider, privacy=privacy, sections=1, managers=[make.user()], joined=[self.foreign_member]
            )
        # One published lesson in every section, in the section's order.
        self.lessons = {
            section.id: make.lesson(section) for course in self.courses.values() for section in self.sections(course)
        }

    @staticmethod
    def sections(course):
        return sorted(course.sections, key=lambda section: section.position)

    def headers(self, role):
        return {} if role == ANONYMOUS else auth(self.users[role])


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:12]}"


def course_request(world, operation, target, privacy):
    """(method, url, params, body) for an operation on a course of the world."""
    method, kind, _ = COURSE_OPERATIONS[operation]
    course = world.courses["foreign" if target == FOREIGN else "own", privacy]
    section = {
        OWN: lambda: world.sections(course)[0],
        FOREIGN: lambda: world.sections(course)[0],
        FOREIGN_SECTION: lambda: world.sections(world.courses["sibling", privacy])[0],
        OTHER_SECTION_LESSON: lambda: world.sections(course)[0],
    }[target]
    lesson = {
        OTHER_SECTION_LESSON: lambda: world.lessons[world.sections(course)[1].id],
    }.get(target, lambda: world.lessons[section().id])
    url = {
        "course": lambda: course_url(course),
        "sections": lambda: course_url(course, "section"),
        "roles": lambda: course_url(course, "role"),
        "section": lambda: course_url(course, "section", section()),
        "lessons": lambda: course_url(course, "section", section(), "lesson"),
        "lesson": lambda: course_url(course, "section", section(), "lesson", lesson()),
        "complete": lambda: course_url(course, "section", section(), "lesson", lesson(), "complete"),
        "incomplete": lambda: course_url(course, "section", section(), "lesson", lesson(), "incomplete"),
    }[kind]()
    params = dict(VIEWS.get(operation, {})) or None
    if params and "user" in params:
        # A member of the course asked about: the joined user of the world (a member of `foreign`
        # for its own course, so that its editors would be answered 200 too).
        params["user"] = world.users[JOINED].id if target != FOREIGN else world.foreign_member.id
    body = {
        "put_course": lambda: {"name": unique("Put"), "type": "structured"},
        "patch_course": lambda: {"name": unique("Patch")},
        "create_section": lambda: {"name": unique("New section")},
        "change_roles": lambda: {"joined": [world.newcomer.id]},
        "put_section": lambda: {"name": unique("Put section")},
        "patch_section": lambda: {"name": unique("Patch section")},
        "create_lesson": lambda: {"name": unique("New lesson")},
        "put_lesson": lambda: {"name": unique("Put lesson")},
        "patch_lesson": lambda: {"name": unique("Patch lesson")},
    }.get(operation, lambda: None)()
    return method, url, params, body


# --- Bookkeeping for the summary line ------------------------------------------------------------

STATS = {"cells": 0, "mismatches": 0, "unauthorized_2xx": 0}


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    yield STATS
    line = (
        f"authorization matrix: {STATS['cells']} cells checked, {STATS['mismatches']} status mismatches, "
        f"unauthorized 2xx = {STATS['unauthorized_2xx']}"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")
    assert STATS["unauthorized_2xx"] == 0, line


def check(response, want, describe):
    """Count the cell, then assert that nothing forbidden succeeded and that the status is exact."""
    STATS["cells"] += 1
    got = response.status_code
    if got != want:
        STATS["mismatches"] += 1
    if allowed(got) and not allowed(want):
        STATS["unauthorized_2xx"] += 1
        pytest.fail(f"UNAUTHORIZED 2xx: {describe}: expected {want}, got {got}: {response.text}")
    assert got == want, f"{describe}: expected {want}, got {got}: {response.text}"


# --- The matrix ----------------------------------------------------------------------------------

COURSE_CELLS = [
    pytest.param(operation, role, target, privacy, id=f"{operation}-{role}-{target}-{PRIVACY_IDS[privacy]}")
    for operation in COURSE_OPERATIONS
    for role in ROLES
    for target in targets_of(operation)
    for privacy in PRIVACIES
]


@pytest.mark.parametrize(("operation", "role", "target", "privacy"), COURSE_CELLS)
def test_course_operation(client, make, operation, role, target, privacy):
    world = World(make, [privacy])
    method, url, params, body = course_request(world, operation, target, privacy)
    want = expected(operation, role, target, privacy)

    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, url, params=params, headers=world.headers(role), **kwargs)

    describe = f"{role} {method} {url} {params or ''} ({PRIVACY_IDS[privacy]}, {target})"
    check(response, want, describe)
    relation = relation_of(role, "foreign" if target == FOREIGN else "own")
    if want == 403 and operation in TAKING_LESSONS:
        # A non-member is told to join; a joined member is never refused here (their lesson is open).
        assert relation is None, describe
        assert error_codes(response.json()) == {None: ["not_joined"]}, describe
    if want == 200 and operation == "get_course_as_member":
        assert response.json()["join_status"] == "joined", describe
    if want == 200 and operation == "get_course_dashboard":
        assert response.json()["avg_completion_rate"] == 0, describe
    if operation == "get_course" and want == 200:
        # `private` courses show their minimal form to non-members, everything else the full course.
        minimal = privacy == "private" and relation is None
        data = response.json()
        assert ("description" not in data) == minimal, describe
        assert data["join_status"] == relation, describe


GLOBAL_CELLS = [
    pytest.param(operation, role, id=f"{operation}-{role}")
    for operation in GLOBAL_OPERATIONS
    if operation not in ("list_courses", "search_courses")
    for role in ROLES
]


@pytest.mark.parametrize(("operation", "role"), GLOBAL_CELLS)
def test_global_operation(client, make, operation, role):
    world = World(make, ["open"])
    method, url, _ = GLOBAL_OPERATIONS[operation]
    body = {
        "create_course": lambda: {"name": unique("Created"), "type": "self-paced"},
        "create_category": lambda: {"name": unique("Category")},
    }.get(operation, lambda: None)()

    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, url, headers=world.headers(role), **kwargs)

    check(response, expected(operation, role), f"{role} {method} {url}")


LISTING_CELLS = [
    pytest.param(operation, role, id=f"{operation}-{role}")
    for operation in ("list_courses", "search_courses")
    for role in ROLES
]


@pytest.mark.parametrize(("operation", "role"), LISTING_CELLS)
def test_listing_shows_exactly_the_visible_courses(client, make, operation, role):
    """Courses of all four privacies, own and foreign, in one world: nothing invisible may leak."""
    world = World(make, PRIVACIES)
    method, url, _ = GLOBAL_OPERATIONS[operation]

    response = client.request(method, url, params={"limit": 100}, headers=world.headers(role))

    check(response, expected(operation, role), f"{role} {method} {url}")
    if role == ANONYMOUS:
        return
    want = {}
    for (kind, privacy), course in world.courses.items():
        relation = relation_of(role, kind)
        if not can_see(privacy, relation):
            continue
        if operation == "list_courses" and relation is None:
            continue  # "my courses": only those in which the caller holds a role
        want[course.id] = (privacy, relation)
    page = response.json()
    got = {item["id"]: item for item in page["results"]}
    names = {course.id: f"{kind}/{PRIVACY_IDS[privacy]}" for (kind, privacy), course in world.courses.items()}
    leaked = sorted(names[i] for i in set(got) - set(want))
    missing = sorted(names[i] for i in set(want) - set(got))
    assert not leaked and not missing, f"{role} {url}: leaked {leaked}, missing {missing}"
    assert page["count"] == len(want)
    for course_id, (privacy, relation) in want.items():
        item = got[course_id]
        assert item["join_status"] == relation, names[course_id]
        assert ("description" not in item) == (privacy == "private" and relation is None), names[course_id]


def test_the_matrix_covers_every_operation_of_the_spec():
    methods = {"get", "put", "post", "patch", "delete"}
    operations = {(m.upper(), p) for p, item in load_spec()["paths"].items() for m in item if m in methods}
    assert len(operations) == SPEC_OPERATIONS
    templates = {"get_media": "/media/course/{course_id}/{file}", "get_default_media": "/media/default/{file}"}
    covered = {
        (method, templates.get(name, path.removeprefix(API))) for name, (method, path, _) in GLOBAL_OPERATIONS.items()
    }
    kinds = {
        "course": "/course/{id}/",
        "sections": "/course/{id}/section/",
        "roles": "/course/{id}/role/",
        "section": "/course/{id}/section/{section_id}/",
        "lessons": "/course/{id}/section/{section_id}/lesson/",
        "lesson": "/course/{id}/section/{section_id}/lesson/{lesson_id}/",
        "complete": "/course/{id}/section/{section_id}/lesson/{lesson_id}/complete/",
        "incomplete": "/course/{id}/section/{section_id}/lesson/{lesson_id}/incomplete/",
    }
    covered |= {(method, kinds[kind]) for method, kind, _ in COURSE_OPERATIONS.values()}
    covered |= {(method, f"/course/{{id}}/{path}/") for method, path, _ in MEMBER_OPERATIONS.values()}
    covered.add(("GET", "/user/{id}/courses/"))
    assert covered == operations


def test_the_matrix_covers_every_view_and_the_user_parameter():
    parameters = {p["name"]: p for p in load_spec()["paths"]["/course/{id}/"]["get"]["parameters"] if "name" in p}
    views = {params["view"] for params in VIEWS.values()} | {"user"}  # plain get_course is view=user
    assert views == set(parameters["view"]["schema"]["enum"])
    assert {name for params in VIEWS.values() for name in params} == {"view", "user"}
    assert "user" in parameters


@pytest.mark.parametrize("caller", [CREATOR, MANAGER])
@pytest.mark.parametrize(
    ("whom", "status"),
    [(JOINED, 200), (MANAGER, 200), (CREATOR, 200), (UNRELATED, 404), (OTHER_MANAGER, 404), ("nobody", 404)],
)
def test_user_parameter_names_someone_with_a_role(client, make, caller, whom, status):
    """`user=ID` shows the course as a member, manager or the creator sees it; anyone else is 404."""
    world = World(make, ["open"])
    course = world.courses["own", "open"]
    user_id = 999_999 if whom == "nobody" else world.users[whom].id

    response = client.get(course_url(course), params={"user": user_id}, headers=world.headers(caller))

    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["join_status"] == RELATIONS["own"][whom]
    else:
        assert list(error_codes(response.json())) == ["user"]


# --- The membership operations ---------------------------------------------------------------------


def sees_own_status(privacy, relation):
    """Who reaches join, leave and status: whoever sees the course, and the invitees of a secret one."""
    return can_see(privacy, relation) or (privacy == "secret" and relation == "invited")


def expected_member(operation, role, target, privacy):
    """The status the members section's rules give for one cell."""
    if role == ANONYMOUS:
        return 401
    relation = relation_of(role, "foreign" if target == FOREIGN else "own")
    if operation == "remove_member" and role == JOINED and target == OWN:
        operation = "leave"  # the user named is the caller: they leave
    if operation in OWN_STATUS:
        if not sees_own_status(privacy, relation):
            return 404
        if operation == "leave" and relation == "creator":
            return 400
        return MEMBER_OPERATIONS[operation][2]
    if not can_see(privacy, relation):
        return 404
    if operation not in SEEN_BY_ALL and relation not in ("creator", "manager"):
        return 403
    return MEMBER_OPERATIONS[operation][2]


# What joining gives, by privacy and the status held before (the table of the members section).
JOINING = {
    "open": {None: "joined", "invited": "joined", "requested": "joined"},
    "private": {None: "requested", "invited": "joined"},
    "secret": {"invited": "joined"},
}


def member_request(world, operation, target, privacy):
    method, path, _ = MEMBER_OPERATIONS[operation]
    course = world.courses["foreign" if target == FOREIGN else "own", privacy]
    params = body = None
    if operation == "remove_member":
        params = {"user": (world.foreign_member if target == FOREIGN else world.users[JOINED]).id}
    elif operation == "invite":
        body = {"users": [world.newcomer.id]}
    elif operation == "uninvite":
        body = {"users": [world.users[INVITED].id]}
    return method, course_url(course, path), params, body


MEMBER_CELLS = [
    pytest.param(operation, role, target, privacy, id=f"{operation}-{role}-{target}-{PRIVACY_IDS[privacy]}")
    for operation in MEMBER_OPERATIONS
    for role in MEMBER_ROLES
    for target in (OWN, FOREIGN)
    for privacy in PRIVACIES
]


@pytest.mark.parametrize(("operation", "role", "target", "privacy"), MEMBER_CELLS)
def test_member_operation(client, make, operation, role, target, privacy):
    world = World(make, [privacy])
    method, url, params, body = member_request(world, operation, target, privacy)
    want = expected_member(operation, role, target, privacy)

    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, url, params=params, headers=world.headers(role), **kwargs)

    describe = f"{role} {method} {url} {params or ''} ({PRIVACY_IDS[privacy]}, {target})"
    check(response, want, describe)
    relation = relation_of(role, "foreign" if target == FOREIGN else "own")
    if want == 200 and operation == "status":
        assert response.json() == {"status": relation}, describe
    if want == 200 and operation == "join":
        joined = relation if relation in ("creator", "manager", "joined") else JOINING[privacy].get(relation, relation)
        assert response.json()["join_status"] == joined, describe
    if want == 400:
        assert error_codes(response.json()) == {None: ["creator"]}, describe


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_a_users_courses_show_only_what_the_caller_may_see(client, make, role):
    """The joined user's courses of every privacy, as each caller may learn of them."""
    world = World(make, PRIVACIES)
    joined = world.users[JOINED]

    response = client.get(f"{API}/user/{joined.id}/courses/", params={"limit": 100}, headers=world.headers(role))

    check(response, 401 if role == ANONYMOUS else 200, f"{role} GET /user/{{id}}/courses/")
    if role == ANONYMOUS:
        return
    want = {
        course.id
        for (kind, privacy), course in world.courses.items()
        if kind != "foreign" and can_see(privacy, relation_of(role, kind))
    }
    assert {item["id"] for item in response.json()["results"]} == want
