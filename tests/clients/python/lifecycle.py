"""The course, section and lesson lifecycle through the Python client openapi-python-client generates from the spec.

    PYTHONPATH=<folder holding course_api_client> CLIENT_BASE_URL=http://127.0.0.1:8080/api/v2 \
        CLIENT_TOKEN=<access token> CLIENT_CATEGORY_ID=<existing category id> python lifecycle.py

Prints `ok <step>` for each step and `all steps passed` at the end; the first failed check prints
`FAILED <step>: <reason>` (with the last response) on stderr and exits with 1.

Nulls travel only in JSON bodies: the generated client writes None as the text "None" in a
multipart part and as an empty value in a urlencoded form, so the form step carries text only.
"""

import datetime
import enum
import os
import re
import sys
import uuid

import httpx
from course_api_client import AuthenticatedClient
from course_api_client.api.courses import (
    create_course,
    delete_course,
    get_specific_course_info,
    patch_course,
)
from course_api_client.api.lessons import (
    create_course_lesson,
    get_course_lesson,
    get_course_lessons,
    mark_lesson_complete,
    patch_course_lesson,
)
from course_api_client.api.sections import (
    create_course_section,
    delete_course_section,
    get_course_section,
    get_course_sections,
    patch_course_section,
)
from course_api_client.models import (
    CompletionStatus,
    Course,
    CourseDetail,
    CourseForm,
    CourseInput,
    CoursePatch,
    CoursePrivacy,
    CourseType,
    CourseUserDetail,
    GetSpecificCourseInfoView,
    Lesson,
    LessonInput,
    LessonPatch,
    LessonStatus,
    LessonType,
    Problem,
    Section,
    SectionInput,
    SectionPatch,
)
from course_api_client.types import Response


class StepFailed(Exception):
    pass


last: Response | None = None


def check(condition: bool, reason: str) -> None:
    if not condition:
        raise StepFailed(reason)


def answer(response: Response, status: int, kind: type | tuple[type, ...]):
    """The parsed body of `response`, which must have `status` and parse as `kind` (or one of them)."""
    global last
    last = response
    check(response.status_code == status, f"status {response.status_code}, expected {status}")
    names = "/".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
    check(isinstance(response.parsed, kind), f"parsed as {type(response.parsed).__name__}, expected {names}")
    return response.parsed


# What the generated client makes of a view=user answer. The 200 of getSpecificCourseInfo is anyOf
# CourseDetail, CourseUserDetail, CourseMinimal, tried in that order, and an outline also satisfies
# CourseDetail; tests/test_generated_clients.py (test_user_view_parses_as_its_own_model) follows that.
OUTLINE = (CourseUserDetail, CourseDetail)


def etag(response: Response) -> str:
    """The answer's tag as the API made it: a gzip-compressed answer's tag ends in `-gzip` (httpx asks for gzip)."""
    tag = response.headers.get("ETag")
    check(bool(tag) and tag.startswith('"') and tag.endswith('"'), f"no strong ETag: {tag!r}")
    return tag.removesuffix('-gzip"') + '"' if tag.endswith('-gzip"') else tag


def variant(tag: str, revision_tag: str) -> bool:
    """Whether `tag` is the tag of an answer showing the caller's progress, on top of `revision_tag`."""
    return re.fullmatch(re.escape(revision_tag[:-1]) + r'-p[0-9a-f]{20}"', tag) is not None


def begin(name: str) -> None:
    current[0] = name


def done() -> None:
    print(f"ok {current[0]}", flush=True)


def run(client: AuthenticatedClient, category_id: int) -> None:
    global last
    begin("create course (JSON)")
    name = f"Generated client course {uuid.uuid4().hex[:8]}"
    body = CourseInput(
        name=name,
        type_=CourseType.STRUCTURED,
        description="Made by the generated Python client.",
        categories=[category_id],
        meta_title=None,  # an explicit JSON null, not an absent field
    )
    created = create_course.sync_detailed(client=client, body=body, idempotency_key=str(uuid.uuid4()))
    course = answer(created, 201, Course)
    check(created.headers.get("Location", "").endswith(f"/course/{course.id}/"), "Location names another course")
    check(course.name == name and course.type_ is CourseType.STRUCTURED, "name or type not as sent")
    check(course.privacy is CoursePrivacy.VALUE_0, f"a new course is a draft, got {course.privacy!r}")
    # a generated enum class (one of three equal ones: see tests/test_generated_clients.py)
    check(isinstance(course.join_status, enum.Enum) and course.join_status == "creator", f"{course.join_status!r}")
    check(course.meta_title is None, f"meta_title {course.meta_title!r}")
    check([c.id for c in course.categories] == [category_id], "categories not as sent")
    check(isinstance(course.created_at, datetime.datetime), "created_at not parsed as a datetime")
    check(course.created_at.tzinfo is not None, "created_at carries no time zone")
    age = datetime.datetime.now(datetime.UTC) - course.created_at
    check(abs(age) < datetime.timedelta(minutes=5), f"created_at {course.created_at} is not now")
    check(course.revision == 1 and course.sections_order == [], "a new course starts at revision 1, no sections")
    done()

    begin("get course")
    got = get_specific_course_info.sync_detailed(course.id, client=client)
    # The default view is the creator's outline: the course as POST answered it, plus its sections.
    read = answer(got, 200, OUTLINE)
    outline = read.to_dict()
    check({k: outline.get(k) for k in course.to_dict()} == course.to_dict(), "GET differs from the POST's answer")
    check(outline["sections"] == [] and outline["next_lesson"] is None, "the outline of a new course")
    check(variant(etag(got), f'"c{course.id}-r1"'), f"ETag {got.headers.get('ETag')}")
    edit = answer(
        get_specific_course_info.sync_detailed(course.id, client=client, view=GetSpecificCourseInfoView.EDIT),
        200,
        CourseDetail,
    )
    check(edit.sections == [] and edit.num_sections == 0, "view=edit lists sections of a new course")
    done()

    begin("patch course: null and back")
    patched = answer(
        patch_course.sync_detailed(course.id, client=client, body=CoursePatch(meta_title="A title", og_title=None)),
        200,
        Course,
    )
    check(patched.meta_title == "A title" and patched.og_title is None, "patch did not set meta_title")
    patched = answer(
        patch_course.sync_detailed(course.id, client=client, body=CoursePatch(meta_title=None)), 200, Course
    )
    check(patched.meta_title is None, f"meta_title {patched.meta_title!r} after a JSON null")
    check(patched.description == course.description, "a PATCH changed a field it did not carry")
    patched = answer(
        patch_course.sync_detailed(course.id, client=client, body=CoursePatch(meta_title="Back")), 200, Course
    )
    check(patched.meta_title == "Back" and patched.revision == 4, f"meta_title {patched.meta_title!r}")
    done()

    begin("patch course (form)")
    form = CourseForm(og_description="Sent as a form", hide_member_count=True, privacy=CoursePrivacy.OPEN)
    patched = answer(patch_course.sync_detailed(course.id, client=client, body=form), 200, Course)
    check(sent[-1].headers["Content-Type"] == "application/x-www-form-urlencoded", "the body was not a form")
    check(patched.og_description == "Sent as a form" and patched.hide_member_count is True, "form fields not set")
    check(patched.privacy is CoursePrivacy.OPEN and patched.meta_title == "Back", "form changed other fields")
    done()

    begin("create sections")
    opens = datetime.datetime(2027, 3, 1, 9, 30, tzinfo=datetime.UTC)
    first = answer(
        create_course_section.sync_detailed(
            course.id, client=client, body=SectionInput(name="First", dripped_at=opens, drip_delay=3)
        ),
        201,
        Section,
    )
    check(first.dripped_at == opens, f"dripped_at {first.dripped_at!r}, expected {opens!r}")
    second = answer(
        create_course_section.sync_detailed(
            course.id, client=client, body=SectionInput(name="Second", dripped_at=None)
        ),
        201,
        Section,
    )
    check(second.dripped_at is None and second.drip_delay == 0, "second section not as sent")
    check(second.lessons_order == [] and first.revision == second.revision == 1, "new sections are revision 1")
    read = answer(
        get_specific_course_info.sync_detailed(course.id, client=client, view=GetSpecificCourseInfoView.EDIT),
        200,
        CourseDetail,
    )
    check(read.sections_order == [first.id, second.id], f"sections_order {read.sections_order}")
    done()

    begin("reorder sections")
    reordered = answer(
        patch_course.sync_detailed(course.id, client=client, body=CoursePatch(sections_order=[second.id, first.id])),
        200,
        Course,
    )
    check(reordered.sections_order == [second.id, first.id], f"sections_order {reordered.sections_order}")
    listed = get_course_sections.sync_detailed(course.id, client=client)
    answer(listed, 200, list)
    check([s.id for s in listed.parsed] == [second.id, first.id], "the list is not in the new order")
    check(all(isinstance(s, Section) for s in listed.parsed), "list items are not Section models")
    done()

    begin("patch section with If-Match")
    read = get_course_section.sync_detailed(course.id, first.id, client=client)
    answer(read, 200, Section)
    tag = etag(read)
    check(tag == f'"s{first.id}-r1"', f"section ETag {tag}")
    body = SectionPatch(name="First, renamed", dripped_at=None)
    patched = answer(
        patch_course_section.sync_detailed(course.id, first.id, client=client, body=body, if_match=tag), 200, Section
    )
    check(patched.name == "First, renamed" and patched.dripped_at is None, "section patch not applied")
    check(patched.drip_delay == 3 and patched.revision == 2, "section patch changed drip_delay or revision")
    new_tag = etag(last)
    check(new_tag == f'"s{first.id}-r2"', f"ETag after the patch {new_tag}")
    stale = patch_course_section.sync_detailed(
        course.id, first.id, client=client, body=SectionPatch(name="Lost"), if_match=tag
    )
    problem = answer(stale, 412, Problem)
    check(problem.errors[0].messages[0].code == "precondition_failed", f"412 code {problem.to_dict()}")
    done()

    begin("create lessons")
    lesson_body = LessonInput(
        name="Light",
        type_=LessonType.LESSON,
        status=LessonStatus.PUBLISHED,
        text="<p>Golden hour</p><script>alert(1)</script>",
    )
    made = create_course_lesson.sync_detailed(
        course.id, first.id, client=client, body=lesson_body, idempotency_key=str(uuid.uuid4())
    )
    light = answer(made, 201, Lesson)
    lesson_path = f"/course/{course.id}/section/{first.id}/lesson/{light.id}/"
    check(made.headers.get("Location", "").endswith(lesson_path), f"Location {made.headers.get('Location')}")
    check(etag(made) == f'"l{light.id}-r1"', f"lesson ETag {made.headers.get('ETag')}")
    check((light.course_id, light.section_id, light.revision) == (course.id, first.id, 1), "lesson ids or revision")
    check(light.status is LessonStatus.PUBLISHED and light.type_ is LessonType.LESSON, "status or type not as sent")
    check(light.html == "<p>Golden hour</p>", f"html {light.html!r}: the script must be gone")
    check(light.completion_status is CompletionStatus.UNCOMPLETED, f"completion_status {light.completion_status!r}")
    check(light.locked is False and light.lock is None and light.medias == [], "a new lesson's progress fields")
    shadow = answer(
        create_course_lesson.sync_detailed(course.id, first.id, client=client, body=LessonInput(name="Shadow")),
        201,
        Lesson,
    )
    check(shadow.status is LessonStatus.DRAFT and shadow.html == "", "a lesson is a draft with no content by default")
    done()

    begin("read lesson")
    got = get_course_lesson.sync_detailed(course.id, first.id, light.id, client=client)
    check(answer(got, 200, Lesson).to_dict() == light.to_dict(), "GET differs from the POST's answer")
    check(variant(etag(got), f'"l{light.id}-r1"'), f"lesson ETag {got.headers.get('ETag')}")
    listed = get_course_lessons.sync_detailed(course.id, first.id, client=client)
    check([item.id for item in answer(listed, 200, list)] == [light.id, shadow.id], "lessons not in order")
    check(all(isinstance(item, Lesson) for item in listed.parsed), "list items are not Lesson models")
    done()

    begin("complete lesson")
    last = mark_lesson_complete.sync_detailed(course.id, first.id, light.id, client=client)
    check(last.status_code == 204 and last.content == b"", f"status {last.status_code}")
    got = get_course_lesson.sync_detailed(course.id, first.id, light.id, client=client)
    check(answer(got, 200, Lesson).completion_status is CompletionStatus.COMPLETED, "the lesson is not completed")
    mine = answer(get_specific_course_info.sync_detailed(course.id, client=client), 200, OUTLINE)
    # The draft counts for nothing: one published lesson, completed.
    check(mine.user_completion_rate == 100, f"user_completion_rate {mine.user_completion_rate}")
    done()

    begin("publish lesson with If-Match")
    tag = etag(get_course_lesson.sync_detailed(course.id, first.id, shadow.id, client=client))
    # A tag that shows progress makes a write conditional on the lesson's revision.
    published = patch_course_lesson.sync_detailed(
        course.id, first.id, shadow.id, client=client, body=LessonPatch(status=LessonStatus.PUBLISHED), if_match=tag
    )
    check(answer(published, 200, Lesson).status is LessonStatus.PUBLISHED, "the lesson was not published")
    check(etag(published) == f'"l{shadow.id}-r2"', f"ETag after the patch {published.headers.get('ETag')}")
    stale = patch_course_lesson.sync_detailed(
        course.id, first.id, shadow.id, client=client, body=LessonPatch(name="Lost"), if_match=tag
    )
    answer(stale, 412, Problem)
    mine = answer(get_specific_course_info.sync_detailed(course.id, client=client), 200, OUTLINE)
    check(mine.user_completion_rate == 50, f"user_completion_rate {mine.user_completion_rate}, one of two done")
    done()

    begin("delete section")
    answer(delete_course_section.sync_detailed(course.id, second.id, client=client, if_match=etag(read)), 412, Problem)
    second_tag = etag(get_course_section.sync_detailed(course.id, second.id, client=client))
    deleted = delete_course_section.sync_detailed(course.id, second.id, client=client, if_match=second_tag)
    last = deleted
    check(deleted.status_code == 204 and deleted.content == b"", f"status {deleted.status_code}")
    listed = get_course_sections.sync_detailed(course.id, client=client)
    check([s.id for s in answer(listed, 200, list)] == [first.id], "the deleted section is still listed")
    gone = answer(get_course_section.sync_detailed(course.id, second.id, client=client), 404, Problem)
    check(gone.status == 404, "problem status")
    done()

    begin("delete course")
    last = delete_course.sync_detailed(course.id, client=client)
    check(last.status_code == 204, f"status {last.status_code}")
    answer(get_specific_course_info.sync_detailed(course.id, client=client), 404, Problem)
    answer(get_course_section.sync_detailed(course.id, first.id, client=client), 404, Problem)
    done()


current = [""]  # the step under way, for the failure report
sent: list[httpx.Request] = []  # the last request the client sent


def remember(request: httpx.Request) -> None:
    sent[:] = [request]


def main() -> int:
    client = AuthenticatedClient(
        base_url=os.environ["CLIENT_BASE_URL"],
        token=os.environ["CLIENT_TOKEN"],
        raise_on_unexpected_status=True,  # a status the spec does not list is an error, not a None
        follow_redirects=False,  # the client's paths must be the canonical ones
        httpx_args={"event_hooks": {"request": [remember]}},
    )
    try:
        with client:
            run(client, int(os.environ["CLIENT_CATEGORY_ID"]))
    except Exception as exc:  # any failure, checked or not, is reported with the exchange behind it
        print(f"FAILED {current[0]}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if last is not None:
            print(f"last response: {last.status_code} {last.headers!r}\n{last.content[:2000]!r}", file=sys.stderr)
        return 1
    print("all steps passed (python)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
