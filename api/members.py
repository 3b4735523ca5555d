"""Handlers of the `members` tag."""

from api.errors import Forbidden
from api.rules import membership
from api.rules.access import ROW_ONLY, current_user, editable_course, visible_course
from api.web.query import shadowed_integer
from api.web.responses import course_page, json_response, no_content, page, represent_as_seen
from api.web.schemas import DashboardUserSchema, UserIdsSchema, UserMinimalSchema
from models import Course

_users = UserMinimalSchema(many=True)
_dashboard = DashboardUserSchema(many=True)
_ids = UserIdsSchema()


def join(user, id):
    """Join the course, ask to join it, or accept an invitation to it."""
    course, role = visible_course(id, user, ROW_ONLY, answering_invitation=True)
    role = membership.join(course, role, user)
    return json_response(represent_as_seen(course, user, role))


def leave(user, id):
    """Leave the course (or withdraw a request, or decline an invitation); editors may remove `user`."""
    target = shadowed_integer("user")
    if target is None or target == user:
        course, role = visible_course(id, user, ROW_ONLY, answering_invitation=True)
        membership.leave(course, role, user)
    else:
        course, _ = editable_course(id, user, ROW_ONLY)
        membership.remove(course, target)
    return no_content()


def invite(user, id, body):
    """Invite users to the course, or accept their requests to join."""
    course, _ = editable_course(id, user, ROW_ONLY)
    membership.invite(course, _ids.load(body)["users"])
    return no_content()


def uninvite(user, id, body):
    """Withdraw invitations."""
    course, _ = editable_course(id, user, ROW_ONLY)
    membership.uninvite(course, _ids.load(body)["users"])
    return no_content()


def list(id, user=None, statuses=None, limit=20, offset=0):
    """The members of the course, as far as the caller may see them."""
    course, role = visible_course(id, user, ROW_ONLY)
    if not membership.member_list_allowed(course, role):
        raise Forbidden("This course shows its members to its creator and managers only.")
    count, users = membership.users_holding(course, statuses or membership.DEFAULT_STATUSES, limit, offset)
    return json_response(page(_users.dump(users), count, limit, offset))


def invited(user, id, limit=20, offset=0):
    """The users invited to the course who have not answered yet."""
    course, _ = editable_course(id, user, ROW_ONLY)
    count, users = membership.users_holding(course, [membership.INVITED], limit, offset)
    return json_response(page(_users.dump(users), count, limit, offset))


def requests(user, id, search=None, limit=20, offset=0):
    """The users waiting for an answer to their request to join."""
    course, _ = editable_course(id, user, ROW_ONLY)
    count, users = membership.users_holding(course, [membership.REQUESTED], limit, offset, search)
    return json_response(page(_users.dump(users), count, limit, offset))


def status(user, id):
    """The caller's role in the course."""
    _, role = visible_course(id, user, ROW_ONLY, answering_invitation=True)
    return json_response({"status": role})


def dashboard(user, id, search=None, statuses=None, ordering="-joined_at", limit=20, offset=0):
    """The course's people with their status, progress and last activity."""
    course, _ = editable_course(id, user, ROW_ONLY)
    chosen = statuses or membership.DEFAULT_STATUSES
    count, people = membership.dashboard(course, chosen, ordering, limit, offset, search)
    return json_response(page(_dashboard.dump(people), count, limit, offset))


def suggested(user, id, search=None, limit=20, offset=0):
    """Users who could be invited: active, and holding no role in the course yet."""
    course, _ = editable_course(id, user, ROW_ONLY)
    count, users = membership.suggested(course, limit, offset, search)
    return json_response(page(_users.dump(users), count, limit, offset))


def user_courses(user, id, statuses=None, limit=20, offset=0):
    """The courses in which a user holds one of `statuses`, among those the caller may see."""
    me = current_user(user)
    criteria = membership.user_courses_criteria(me, id, statuses or membership.DEFAULT_STATUSES)
    return json_response(course_page(me, criteria, Course.id.desc(), limit, offset))
