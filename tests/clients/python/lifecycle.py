"""The course and section lifecycle through the Python client that openapi-python-client generates from the spec.

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
from course_api_client.api.sections import (
    create_course_section,
    delete_course_section,
    get_course_section,
    get_course_sections,
    patch_course_section,
)
from course_api_client.models import (
    Course,
    CourseDetail,
    CourseForm,
    CourseInput,
    CoursePatch,
    CoursePrivacy,
    CourseType,
    GetSpecificCourseInfoView,
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


def answer(response: Response, status: int, kind: type):
    """The parsed body of `response`, which must have `status` and parse as `kind`."""
    global last
    last = response
    check(response.status_code == status, f"status {response.status_code}, expected {status}")
    check(isinstance(response.parsed, kind), f"parsed as {type(response.parsed).__name__}, expected {kind.__name__}")
    return response.parsed


def etag(response: Response) -> str:
    tag = response.headers.get("ETag")
    check(bool(tag) and tag.startswith('"') and tag.endswith('"'), f"no strong ETag: {tag!r}")
    return tag


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
    # The 200 is anyOf CourseDetail/Course/CourseMinimal: without view=edit it has no sections.
    read = answer(got, 200, Course)
    check(read.to_dict() == course.to_dict(), "GET differs from the POST's answer")
    check(etag(got) == f'"c{course.id}-r1"', f"ETag {got.headers.get('ETag')}")
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
    read = answer(get_specific_course_info.sync_detailed(course.id, client=client), 200, Course)
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
