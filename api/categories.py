"""Handlers of the `categories` tag."""

from api import database
from api.rules import search as finding
from api.rules.access import check_may_create_category, current_user, viewer
from api.rules.editing import create_category
from api.web.responses import json_response, page
from api.web.schemas import CategoryLoadSchema, CategorySchema

_load = CategoryLoadSchema()
_dump = CategorySchema()


def list(user=None, active=None, search=None, limit=20, offset=0):
    """The categories, in their order."""
    viewer(user)
    count, categories = finding.categories(active, search, limit, offset)
    return json_response(page(_dump.dump(categories, many=True), count, limit, offset))


def create(user, body):
    """Add a category (staff only)."""
    check_may_create_category(current_user(user))
    category = create_category(database.session(), **_load.load(body))
    return json_response(_dump.dump(category), 201)
