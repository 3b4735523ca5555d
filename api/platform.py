"""Handlers of the `platform` tag: the calls of the platform that the official web front end makes first."""

from api.config import current_settings
from api.pictures.course_pictures import default_picture_urls
from api.rules import community
from api.rules.access import current_user, may_create_course
from api.web.responses import json_response, whole_page
from api.web.schemas import CurrentUserSchema

_me = CurrentUserSchema()


def me(user):
    """The caller, in the platform's user shape."""
    caller = current_user(user)
    permission = {"create_course": may_create_course(caller, current_settings())}
    return json_response(_me.dump(caller) | {"permission": permission})


def preferences():
    """The preferences the front end reads, from the settings."""
    cover = default_picture_urls()["image_bigger"]
    return json_response(whole_page(community.preferences(current_settings(), cover)))


def features():
    """The features this service offers."""
    return json_response(whole_page(community.features()))
