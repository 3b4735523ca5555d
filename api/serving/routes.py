"""Which handler answers each operation of the spec.

The spec's operationIds are public names: generated clients turn them into method names, so they are
the official SDK's own (`createCourse`, `patchCourseSection`...). The handlers are named after the
layout of the code, `api.<tag>.<verb>`, which may change without breaking any client. This table is
the one place that joins the two; tests/test_spec.py fails when an operation has no handler here, a
handler is not named after its operation's tag, or a handler of a tag module answers no operation.
"""

from connexion.resolver import Resolver

from api import categories, courses, health, lessons, media, members, platform, roles, sections

HANDLERS = {
    "getJoinedCourses": courses.list,
    "searchCourses": courses.search,
    "createCourse": courses.create,
    "getSpecificCourseInfo": courses.get,
    "updateCourse": courses.update,
    "patchCourse": courses.patch,
    "deleteCourse": courses.delete,
    "getCourseSections": sections.list,
    "createCourseSection": sections.create,
    "getCourseSection": sections.get,
    "updateCourseSection": sections.update,
    "patchCourseSection": sections.patch,
    "deleteCourseSection": sections.delete,
    "getCourseLessons": lessons.list,
    "createCourseLesson": lessons.create,
    "getCourseLesson": lessons.get,
    "updateCourseLesson": lessons.update,
    "patchCourseLesson": lessons.patch,
    "deleteCourseLesson": lessons.delete,
    "markLessonComplete": lessons.complete,
    "markLessonIncomplete": lessons.incomplete,
    "changeCourseUserRole": roles.change,
    "joinOrAcceptInviteToCourse": members.join,
    "leaveOrRemoveCourseRequest": members.leave,
    "getCourseJoinedUsers": members.list,
    "inviteOrAcceptUsersToCourse": members.invite,
    "removeInvitationToCourse": members.uninvite,
    "getCourseInvitedUsers": members.invited,
    "getCourseWaitingApproval": members.requests,
    "getCourseStatus": members.status,
    "getCourseDashboardUsers": members.dashboard,
    "getCourseSuggestedUsers": members.suggested,
    "getUserJoinedCourses": members.user_courses,
    "getAllCategories": categories.list,
    "createCategory": categories.create,
    "getCurrentUser": platform.me,
    "getAllPreferences": platform.preferences,
    "getAllFeatures": platform.features,
    "getHealth": health.get,
    "getCourseMedia": media.get,
    "getDefaultMedia": media.default,
}


def handler_of(operation_id: str):
    try:
        return HANDLERS[operation_id]
    except KeyError:
        # Connexion reports an ImportError of the resolver as a ResolverError naming the operation.
        raise ImportError(f"no handler answers operationId {operation_id!r} (api/serving/routes.py)") from None


def resolver() -> Resolver:
    return Resolver(function_resolver=handler_of)
