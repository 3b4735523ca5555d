"""Handlers of the `categories` tag."""

from sqlalchemy import select

from api import database
from api.rules.access import check_may_create_category, current_user
from api.rules.editing import create_category
from api.web.responses import json_response
from api.web.schemas import CategoryLoadSchema, CategorySchema
from models import Category

_load = CategoryLoadSchema()
_dump = CategorySchema()


def list(user):
    """Every category by name."""
    current_user(user)
    categories = database.session().scalars(select(Category).order_by(Category.name, Category.id))
    return json_response(_dump.dump(categories, many=True))


def create(user, body):
    """Add a category (staff only)."""
    check_may_create_category(current_user(user))
    category = create_category(database.session(), _load.load(body)["name"])
    return json_response(_dump.dump(category), 201)
