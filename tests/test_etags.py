"""Optimistic concurrency: revisions, the ETag header, If-Match on writes and If-None-Match on reads."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine

from tests.support.data import staffed_course
from tests.support.http import COURSES, course_url, error_codes, problem
from tests.support.tokens import auth


def read(client, user, url, **headers):
    response = client.get(url, headers=auth(user) | headers)
    assert response.status_code == 200, response.text
    return response


def tag_of(client, user, url):
    return read(client, user, url).headers["ETag"]


def course_tag(course_id, revision):
    return f'"c{course_id}-r{revision}"'


def section_tag(section_id, revision):
    return f'"s{section_id}-r{revision}"'


# The tag of a course's GET: its revision's tag, then a digest of what this caller reads.
VARIANT_TAG = re.compile(r'"(c[0-9]+-r[0-9]+)-p[0-9a-f]{20}"')


def revision_part(tag):
    """The revision's tag that a GET's tag starts with (the part If-Match compares)."""
    match = VARIANT_TAG.fullmatch(tag)
    assert match, tag
    return f'"{match.group(1)}"'


def complete(client, user, course, lesson):
    url = course_url(course, "section", lesson.section_id, "lesson", lesson, "complete")
    response = client.post(url, headers=auth(user))
    assert response.status_code == 204, response.text


# Every kind of change a course's revision counts: (method, path under the course, body) for a scene.
COURSE_CHANGES = {
    "put": lambda scene: ("PUT", "", {"name": "Renamed", "type": "structured"}),
    "patch": lambda scene: ("PATCH", "", {"description": "New text"}),
    "empty patch": lambda scene: ("PATCH", "", {}),
    "reorder": lambda scene: ("PATCH", "", {"sections_order": [s.id for s in reversed(scene.course.sections)]}),
    "categories": lambda scene: ("PATCH", "", {"categories": [scene.category.id]}),
    "add section": lambda scene: ("POST", "section/", {"name": "Added"}),
    "delete section": lambda scene: ("DELETE", f"section/{scene.section.id}/", None),
    "put section": lambda scene: ("PUT", f"section/{scene.section.id}/", {"name": "Renamed section"}),
    "patch section": lambda scene: ("PATCH", f"section/{scene.section.id}/", {"drip_delay": 3}),
    "roles": lambda scene: ("POST", "role/", {"managers": [scene.other.id]}),
}


@pytest.fixture
def scene(make, alice, bob):
    """A course of alice's with two sections, a category it is not filed under, and another user."""
    course = make.course(alice, sections=2)
    return SimpleNamespace(course=course, section=course.sections[0], category=make.category(), other=bob)


def apply_change(client, user, scene, kind):
    method, path, body = COURSE_CHANGES[kind](scene)
    extra = {"json": body} if body is not None else {}
    response = client.request(method, course_url(scene.course) + path, headers=auth(user), **extra)
    assert response.status_code < 300, response.text


class TestRevisions:
    def test_new_course_and_section_start_at_revision_1(self, client, alice):
        course = client.post(COURSES, json={"name": "New", "type": "structured"}, headers=auth(alice))
        assert course.status_code == 201, course.text
        course_id = course.json()["id"]
        section = client.post(course_url(course_id, "section"), json={"name": "S"}, headers=auth(alice))
        assert section.status_code == 201, section.text

        assert course.json()["revision"] == 1
        assert section.json()["revision"] == 1
        # Adding the section was a change of the course.
        assert read(client, alice, course_url(course_id)).json()["revision"] == 2

    @pytest.mark.parametrize("kind", list(COURSE_CHANGES))
    def test_every_kind_of_change_is_a_new_course_revision(self, client, alice, scene, kind):
        apply_change(client, alice, scene, kind)

        assert read(client, alice, course_url(scene.course)).json()["revision"] == 2

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_a_section_write_is_a_new_revision_of_the_section_only(self, client, make, alice, method):
        course = make.course(alice, sections=2)
        edited, other = course.sections

        response = client.request(
            method.upper(), course_url(course, "section", edited), json={"name": "Edited"}, headers=auth(alice)
        )

        assert response.status_code == 200, response.text
        assert response.json()["revision"] == 2
        assert read(client, alice, course_url(course, "section", edited)).json()["revision"] == 2
        assert read(client, alice, course_url(course, "section", other)).json()["revision"] == 1

    @pytest.mark.parametrize("kind", ["put", "reorder", "categories", "add section", "roles"])
    def test_course_changes_leave_section_revisions_alone(self, client, alice, scene, kind):
        apply_change(client, alice, scene, kind)

        listed = read(client, alice, course_url(scene.course, "section")).json()
        assert {s["revision"] for s in listed} == {1}

    def test_revisions_count_up_by_one(self, client, make, alice):
        course = make.course(alice)

        revisions = [
            client.patch(course_url(course), json={"description": str(n)}, headers=auth(alice)).json()["revision"]
            for n in range(3)
        ]

        assert revisions == [2, 3, 4]

    def test_a_revision_sent_back_is_ignored(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]

        patched = client.patch(course_url(course), json={"revision": 40}, headers=auth(alice))
        put = client.put(
            course_url(course, "section", section), json={"name": "S", "revision": 40}, headers=auth(alice)
        )

        assert (patched.status_code, put.status_code) == (200, 200)
        assert patched.json()["revision"] == 2
        assert put.json()["revision"] == 2

    def test_a_refused_write_is_no_revision(self, client, make, alice):
        course = make.course(alice)

        problem(client.patch(course_url(course), json={"privacy": ""}, headers=auth(alice)), 400)

        assert read(client, alice, course_url(course)).json()["revision"] == 1


class TestETag:
    def test_course_answers_carry_the_tag_of_their_revision(self, client, alice):
        created = client.post(COURSES, json={"name": "Tagged", "type": "structured"}, headers=auth(alice))
        course_id = created.json()["id"]
        url = course_url(course_id)

        put = client.put(url, json={"name": "Tagged", "type": "scheduled"}, headers=auth(alice))
        patched = client.patch(url, json={"description": "x"}, headers=auth(alice))
        fetched = read(client, alice, url)

        assert created.headers["ETag"] == course_tag(course_id, 1)
        assert put.headers["ETag"] == course_tag(course_id, 2)
        assert patched.headers["ETag"] == course_tag(course_id, 3)
        # The GET shows the caller's progress as well, so its tag goes on after the revision's.
        assert revision_part(fetched.headers["ETag"]) == course_tag(course_id, 3)

    def test_section_answers_carry_the_tag_of_their_revision(self, client, make, alice):
        course = make.course(alice)
        created = client.post(course_url(course, "section"), json={"name": "S"}, headers=auth(alice))
        section_id = created.json()["id"]
        url = course_url(course, "section", section_id)

        put = client.put(url, json={"name": "S2"}, headers=auth(alice))
        patched = client.patch(url, json={"drip_delay": 1}, headers=auth(alice))
        fetched = read(client, alice, url)

        assert created.headers["ETag"] == section_tag(section_id, 1)
        assert put.headers["ETag"] == section_tag(section_id, 2)
        assert patched.headers["ETag"] == section_tag(section_id, 3)
        assert fetched.headers["ETag"] == section_tag(section_id, 3)

    def test_all_full_views_carry_the_tag_of_the_revision(self, client, make, people):
        # The minimal form an outsider reads has a tag of its own (tests/test_hostile_leaks.py).
        course = staffed_course(make, people, "private", sections=1)
        make.lesson(course.sections[0])
        url = course_url(course)
        creator, manager, member = people["creator"], people["manager"], people["joined"]
        reads = {
            "user": (creator, url),
            "edit": (creator, f"{url}?view=edit"),
            "dashboard": (creator, f"{url}?view=dashboard"),
            "as the member": (creator, f"{url}?user={member.id}"),
            "manager's edit": (manager, f"{url}?view=edit"),
            "member": (member, url),
        }

        tags = {name: read(client, user, path).headers["ETag"] for name, (user, path) in reads.items()}

        assert {revision_part(tag) for tag in tags.values()} == {course_tag(course.id, 1)}
        # Looking as the member shows what the member reads, under the same tag; every other answer differs.
        assert tags["as the member"] == tags["member"]
        assert len(set(tags.values())) == len(tags) - 1

    def test_a_get_tag_follows_the_callers_progress_without_a_new_revision(self, client, make, alice, bob):
        course = make.course(alice, sections=1, joined=[bob])
        lesson = make.lesson(course.sections[0])
        before = read(client, bob, course_url(course))

        complete(client, bob, course, lesson)

        after = read(client, bob, course_url(course), **{"If-None-Match": before.headers["ETag"]})
        assert after.json()["num_lessons_completed"] == 1
        assert after.json()["revision"] == before.json()["revision"]
        assert after.headers["ETag"] != before.headers["ETag"]
        assert revision_part(after.headers["ETag"]) == revision_part(before.headers["ETag"])
        # Someone else's progress is not in the creator's answer.
        assert read(client, alice, course_url(course)).json()["num_lessons_completed"] == 0

    def test_a_get_tag_follows_the_locks_that_open_with_time(self, client, make, alice, bob):
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        with time_machine.travel(start, tick=False) as clock:
            course = make.course(alice, type="structured", sections=1, joined=[bob])
            course.sections[0].drip_delay = 1
            make.db.commit()
            make.lesson(course.sections[0])
            before = read(client, bob, course_url(course))
            assert before.json()["sections"][0]["locked"] is True

            clock.shift(timedelta(days=1))
            after = read(client, bob, course_url(course), **{"If-None-Match": before.headers["ETag"]})

        assert after.json()["sections"][0]["locked"] is False
        assert after.headers["ETag"] != before.headers["ETag"]
        assert revision_part(after.headers["ETag"]) == revision_part(before.headers["ETag"])

    @pytest.mark.parametrize("view", ["user", "edit"])
    @pytest.mark.parametrize("kind", list(COURSE_CHANGES))
    def test_every_kind_of_change_changes_the_course_tag(self, client, alice, scene, kind, view):
        url = f"{course_url(scene.course)}?view={view}"
        before = tag_of(client, alice, url)

        apply_change(client, alice, scene, kind)

        assert tag_of(client, alice, url) != before

    def test_a_section_rename_changes_the_edit_view_and_its_tag(self, client, make, alice):
        course = make.course(alice, sections=2)
        url = f"{course_url(course)}?view=edit"
        before = read(client, alice, url)

        renamed = client.patch(
            course_url(course, "section", course.sections[1]), json={"name": "New"}, headers=auth(alice)
        )
        assert renamed.status_code == 200, renamed.text

        after = read(client, alice, url)
        assert after.json()["sections"][1]["name"] == "New"
        assert after.headers["ETag"] != before.headers["ETag"]
        # The old tag no longer revalidates the old copy.
        assert read(client, alice, url, **{"If-None-Match": before.headers["ETag"]}).json() == after.json()

    def test_a_role_change_changes_what_the_member_reads_and_its_tag(self, client, make, people):
        course = staffed_course(make, people, "private")
        stranger = people["stranger"]
        before = read(client, stranger, course_url(course))
        assert before.json()["join_status"] is None

        joined = client.post(
            course_url(course, "role"), json={"joined": [stranger.id]}, headers=auth(people["creator"])
        )
        assert joined.status_code == 204, joined.text

        after = read(client, stranger, course_url(course), **{"If-None-Match": before.headers["ETag"]})
        assert after.json()["join_status"] == "joined"
        assert after.headers["ETag"] != before.headers["ETag"]


class TestIfMatch:
    @pytest.mark.parametrize(
        ("method", "body"), [("put", {"name": "Lost update", "type": "structured"}), ("patch", {"name": "Lost update"})]
    )
    def test_stale_tag_on_a_course_write_is_refused_and_changes_nothing(self, client, make, alice, method, body):
        course = make.course(alice, sections=1)
        stale = tag_of(client, alice, course_url(course))
        client.patch(course_url(course), json={"description": "Someone else's"}, headers=auth(alice))
        before = read(client, alice, f"{course_url(course)}?view=edit").json()

        response = client.request(
            method.upper(), course_url(course), json=body, headers=auth(alice) | {"If-Match": stale}
        )

        assert error_codes(problem(response, 412)) == {None: ["precondition_failed"]}
        assert read(client, alice, f"{course_url(course)}?view=edit").json() == before

    @pytest.mark.parametrize(("method", "body"), [("put", {"name": "Lost update"}), ("patch", {"drip_delay": 9})])
    def test_stale_tag_on_a_section_write_is_refused_and_changes_nothing(self, client, make, alice, method, body):
        course = make.course(alice, sections=1)
        url = course_url(course, "section", course.sections[0])
        stale = tag_of(client, alice, url)
        client.patch(url, json={"name": "Someone else's"}, headers=auth(alice))
        before_section = read(client, alice, url).json()
        before_course = read(client, alice, course_url(course)).json()

        response = client.request(method.upper(), url, json=body, headers=auth(alice) | {"If-Match": stale})

        problem(response, 412)
        assert read(client, alice, url).json() == before_section
        assert read(client, alice, course_url(course)).json() == before_course

    def test_current_tag_lets_a_course_write_through_with_a_new_tag(self, client, make, alice):
        course = make.course(alice)
        current = tag_of(client, alice, course_url(course))

        response = client.patch(
            course_url(course), json={"description": "Mine"}, headers=auth(alice) | {"If-Match": current}
        )

        assert response.status_code == 200, response.text
        assert response.json()["description"] == "Mine"
        assert response.headers["ETag"] == course_tag(course.id, 2) != revision_part(current)
        assert revision_part(tag_of(client, alice, course_url(course))) == response.headers["ETag"]

    @pytest.mark.parametrize("source", ["get", "write"])
    def test_the_tag_of_a_get_or_of_a_write_answer_makes_a_write_conditional(self, client, make, alice, source):
        course = make.course(alice)
        written = client.patch(course_url(course), json={"description": "First"}, headers=auth(alice))
        assert written.status_code == 200, written.text
        tag = written.headers["ETag"] if source == "write" else tag_of(client, alice, course_url(course))

        response = client.patch(
            course_url(course), json={"description": "Second"}, headers=auth(alice) | {"If-Match": tag}
        )
        again = client.patch(course_url(course), json={"description": "Third"}, headers=auth(alice) | {"If-Match": tag})

        assert response.status_code == 200, response.text
        problem(again, 412)
        assert read(client, alice, course_url(course)).json()["description"] == "Second"

    def test_a_get_tag_from_before_the_callers_progress_still_matches(self, client, make, alice):
        course = make.course(alice, sections=1)
        lesson = make.lesson(course.sections[0])
        old = tag_of(client, alice, course_url(course))
        # The creator's own completion changes what they read, not the revision.
        complete(client, alice, course, lesson)
        assert tag_of(client, alice, course_url(course)) != old

        response = client.patch(
            course_url(course), json={"description": "Still mine"}, headers=auth(alice) | {"If-Match": old}
        )

        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == course_tag(course.id, 2)

    def test_current_tag_lets_a_section_write_through_with_a_new_tag(self, client, make, alice):
        course = make.course(alice, sections=1)
        section = course.sections[0]
        url = course_url(course, "section", section)
        current = tag_of(client, alice, url)

        response = client.put(url, json={"name": "Mine"}, headers=auth(alice) | {"If-Match": current})

        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == section_tag(section.id, 2)

    def test_the_same_tag_wins_only_once(self, client, make, alice, bob):
        course = make.course(alice, managers=[bob])
        tag = tag_of(client, alice, course_url(course))

        first = client.patch(course_url(course), json={"name": "Alice's"}, headers=auth(alice) | {"If-Match": tag})
        second = client.patch(course_url(course), json={"name": "Bob's"}, headers=auth(bob) | {"If-Match": tag})

        assert first.status_code == 200, first.text
        problem(second, 412)
        assert read(client, alice, course_url(course)).json()["name"] == "Alice's"

    @pytest.mark.parametrize(
        "header",
        ["*", ' "c1-r9", {tag} ', '{tag},"x"', '"x",W/"y" ,{tag}'],
        ids=["star", "list-padded", "list-first", "list-last"],
    )
    def test_star_or_a_list_naming_the_current_tag_matches(self, client, make, alice, header):
        course = make.course(alice)
        header = header.format(tag=tag_of(client, alice, course_url(course)))

        response = client.patch(
            course_url(course), json={"description": "ok"}, headers=auth(alice) | {"If-Match": header}
        )

        assert response.status_code == 200, response.text

    def test_a_list_without_the_current_tag_does_not_match(self, client, make, alice):
        course = make.course(alice)

        response = client.patch(
            course_url(course), json={}, headers=auth(alice) | {"If-Match": f'"c{course.id}-r2", "s1-r1"'}
        )

        problem(response, 412)

    def test_a_weak_tag_never_matches_a_write(self, client, make, alice):
        course = make.course(alice, sections=1)
        section_url = course_url(course, "section", course.sections[0])
        weak_course = "W/" + tag_of(client, alice, course_url(course))
        weak_section = "W/" + tag_of(client, alice, section_url)

        problem(client.patch(course_url(course), json={}, headers=auth(alice) | {"If-Match": weak_course}), 412)
        problem(client.patch(section_url, json={}, headers=auth(alice) | {"If-Match": weak_section}), 412)
        problem(client.delete(section_url, headers=auth(alice) | {"If-Match": weak_section}), 412)

    def test_a_section_tag_does_not_match_its_course(self, client, make, alice):
        course = make.course(alice, sections=1)
        section_tag_ = tag_of(client, alice, course_url(course, "section", course.sections[0]))

        problem(client.patch(course_url(course), json={}, headers=auth(alice) | {"If-Match": section_tag_}), 412)

    def test_delete_of_a_course_with_a_stale_tag_is_refused_and_it_still_exists(self, client, make, alice):
        course = make.course(alice)
        stale = tag_of(client, alice, course_url(course))
        client.patch(course_url(course), json={"description": "changed"}, headers=auth(alice))
        before = read(client, alice, course_url(course)).json()

        problem(client.delete(course_url(course), headers=auth(alice) | {"If-Match": stale}), 412)

        assert read(client, alice, course_url(course)).json() == before

    def test_delete_of_a_section_with_a_stale_tag_is_refused_and_it_still_exists(self, client, make, alice):
        course = make.course(alice, sections=2)
        url = course_url(course, "section", course.sections[0])
        stale = tag_of(client, alice, url)
        client.patch(url, json={"drip_delay": 4}, headers=auth(alice))
        before = read(client, alice, f"{course_url(course)}?view=edit").json()

        problem(client.delete(url, headers=auth(alice) | {"If-Match": stale}), 412)

        assert read(client, alice, f"{course_url(course)}?view=edit").json() == before

    @pytest.mark.parametrize("target", ["course", "section"])
    def test_delete_with_the_current_tag_deletes(self, client, make, alice, target):
        course = make.course(alice, sections=1)
        url = course_url(course) if target == "course" else course_url(course, "section", course.sections[0])

        response = client.delete(url, headers=auth(alice) | {"If-Match": tag_of(client, alice, url)})

        assert response.status_code == 204, response.text
        problem(client.get(url, headers=auth(alice)), 404)

    def test_star_does_not_bring_back_a_deleted_course(self, client, make, alice):
        course = make.course(alice, deleted=True)

        problem(client.patch(course_url(course), json={}, headers=auth(alice) | {"If-Match": "*"}), 404)

    def test_permissions_are_checked_before_the_tag(self, client, make, people):
        course = staffed_course(make, people, "open")

        problem(client.patch(course_url(course), json={}, headers=auth(people["joined"]) | {"If-Match": '"x"'}), 403)
        problem(client.patch(course_url(9999), json={}, headers=auth(people["creator"]) | {"If-Match": '"x"'}), 404)

    @pytest.mark.parametrize(
        "value",
        ["{bare}", '"{bare}', "*, {tag}", "w/{tag}", "x{tag}", '{tag} "x"', "{tag};", "W/"],
        ids=["unquoted", "unterminated", "star-in-a-list", "lower-case-weak", "prefixed", "no-comma", "junk", "no-tag"],
    )
    def test_a_malformed_value_names_no_tag(self, client, make, alice, value):
        course = make.course(alice)
        tag = tag_of(client, alice, course_url(course))

        response = client.patch(
            course_url(course), json={}, headers=auth(alice) | {"If-Match": value.format(tag=tag, bare=tag.strip('"'))}
        )

        problem(response, 412)
        assert read(client, alice, course_url(course)).json()["revision"] == 1

    def test_empty_list_members_and_repeated_lines_are_read_as_one_list(self, client, make, alice):
        course = make.course(alice)
        tag = tag_of(client, alice, course_url(course))
        headers = [*auth(alice).items(), ("If-Match", ' , "x",, '), ("If-Match", f"{tag} ,")]

        response = client.patch(course_url(course), json={"description": "ok"}, headers=headers)

        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("value", ["", "  "])
    def test_an_empty_value_counts_as_no_header(self, client, make, alice, value):
        course = make.course(alice)
        client.patch(course_url(course), json={"description": "moved on"}, headers=auth(alice))

        response = client.patch(
            course_url(course), json={"description": "ok"}, headers=auth(alice) | {"If-Match": value}
        )

        assert response.status_code == 200, response.text

    def test_without_the_header_the_last_write_wins(self, client, make, alice, bob):
        course = make.course(alice, managers=[bob])

        first = client.patch(course_url(course), json={"name": "Alice's"}, headers=auth(alice))
        second = client.patch(course_url(course), json={"name": "Bob's"}, headers=auth(bob))

        assert (first.status_code, second.status_code) == (200, 200)
        assert read(client, alice, course_url(course)).json()["name"] == "Bob's"


class TestIfNoneMatch:
    @pytest.mark.parametrize("view", ["user", "edit"])
    def test_current_course_tag_is_not_modified(self, client, make, alice, view):
        course = make.course(alice, sections=1)
        url = f"{course_url(course)}?view={view}"
        tag = tag_of(client, alice, url)

        response = client.get(url, headers=auth(alice) | {"If-None-Match": tag})

        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["ETag"] == tag
        assert "content-type" not in response.headers

    def test_current_section_tag_is_not_modified(self, client, make, alice):
        course = make.course(alice, sections=1)
        url = course_url(course, "section", course.sections[0])
        tag = tag_of(client, alice, url)

        response = client.get(url, headers=auth(alice) | {"If-None-Match": tag})

        assert (response.status_code, response.content, response.headers["ETag"]) == (304, b"", tag)

    @pytest.mark.parametrize("header", ["*", "W/{tag}", '"other", {tag}'], ids=["star", "weak", "list"])
    def test_star_weak_form_and_lists_match(self, client, make, alice, header):
        course = make.course(alice)
        tag = tag_of(client, alice, course_url(course))

        response = client.get(course_url(course), headers=auth(alice) | {"If-None-Match": header.format(tag=tag)})

        assert response.status_code == 304
        assert response.headers["ETag"] == tag

    def test_a_tag_that_is_not_current_gets_the_representation(self, client, make, alice):
        course = make.course(alice, sections=1)
        url = course_url(course, "section", course.sections[0])
        old = tag_of(client, alice, url)
        client.patch(url, json={"name": "Changed"}, headers=auth(alice))

        response = read(client, alice, url, **{"If-None-Match": old})

        assert response.json()["name"] == "Changed"
        assert response.headers["ETag"] != old

    def test_only_the_exact_tag_of_the_get_revalidates(self, client, make, alice):
        course = make.course(alice)
        written = client.patch(course_url(course), json={}, headers=auth(alice))
        current = tag_of(client, alice, course_url(course))
        assert revision_part(current) == written.headers["ETag"]

        # The revision's tag alone names the write's answer, not the GET's representation.
        response = read(client, alice, course_url(course), **{"If-None-Match": written.headers["ETag"]})

        assert response.headers["ETag"] == current
        assert response.json()["revision"] == 2

    def test_an_unrelated_tag_gets_the_representation(self, client, make, alice):
        course = make.course(alice)

        response = read(client, alice, course_url(course), **{"If-None-Match": '"c999-r1"'})

        assert response.json()["id"] == course.id

    def test_access_is_checked_before_the_tag(self, client, make, people):
        course = staffed_course(make, people, "secret")

        problem(client.get(course_url(course), headers=auth(people["stranger"]) | {"If-None-Match": "*"}), 404)
        problem(
            client.get(f"{course_url(course)}?view=edit", headers=auth(people["joined"]) | {"If-None-Match": "*"}), 403
        )

    def test_an_unquoted_tag_is_no_match(self, client, make, alice):
        course = make.course(alice)
        tag = tag_of(client, alice, course_url(course))

        read(client, alice, course_url(course), **{"If-None-Match": tag.strip('"')})


class TestConcurrentWrites:
    """Requests that really overlap, each through its own client, against the one shared database."""

    WRITERS = 6

    def race(self, app, user, method, url, bodies, headers=None):
        start = threading.Barrier(len(bodies))

        def send(body):
            with app.test_client() as client:
                start.wait()
                return client.request(method, url, json=body, headers=auth(user) | (headers or {}))

        with ThreadPoolExecutor(len(bodies)) as pool:
            return list(pool.map(send, bodies))

    def test_of_writers_holding_the_same_tag_exactly_one_wins(self, app, client, make, alice):
        course = make.course(alice, sections=1)
        url = course_url(course, "section", course.sections[0])
        tag = tag_of(client, alice, url)

        answers = self.race(
            app, alice, "PATCH", url, [{"drip_delay": n} for n in range(self.WRITERS)], {"If-Match": tag}
        )

        assert sorted(a.status_code for a in answers) == [200] + [412] * (self.WRITERS - 1)
        winner = next(a for a in answers if a.status_code == 200)
        assert read(client, alice, url).json() == winner.json()
        assert winner.json()["revision"] == 2

    def test_unconditional_writers_never_share_a_revision(self, app, client, make, alice):
        course = make.course(alice, sections=1)
        url = course_url(course, "section", course.sections[0])

        answers = self.race(app, alice, "PATCH", url, [{"drip_delay": n} for n in range(self.WRITERS)])

        assert [a.status_code for a in answers] == [200] * self.WRITERS
        assert sorted(a.json()["revision"] for a in answers) == list(range(2, self.WRITERS + 2))
        assert len({a.headers["ETag"] for a in answers}) == self.WRITERS
        assert read(client, alice, course_url(course)).json()["revision"] == self.WRITERS + 1
