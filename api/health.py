"""Handler of the `health` tag."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api import database
from api.errors import ServiceUnavailable
from api.responses import json_response


def get():
    """Report whether the database answers."""
    try:
        database.session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise ServiceUnavailable("The database is not reachable.", headers={"Retry-After": "5"})
    return json_response({"status": "ok", "database": "ok"})
