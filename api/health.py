"""Handler of the `health` tag."""

from sqlalchemy import text

from api import database
from api.web.responses import json_response


def get():
    """Report whether the database answers; when it does not, the error path answers 503."""
    database.session().execute(text("SELECT 1"))
    return json_response({"status": "ok", "database": "ok"})
