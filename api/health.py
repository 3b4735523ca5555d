"""Handlers of the `health` tag: liveness (the process answers) and readiness (what it depends on answers)."""

import logging

from sqlalchemy import text

from api import database
from api.errors import ServiceUnavailable
from api.pictures.course_pictures import storage
from api.pictures.storage import StoreUnavailable
from api.web.responses import json_response

log = logging.getLogger(__name__)


def live():
    """Answer without touching the database or the media store: the process serves requests."""
    return json_response({"status": "ok"})


def ready():
    """Report whether the database and the media store answer; when one does not, 503."""
    # A database that does not answer raises here; api/web/problems.py answers 503 with Retry-After.
    database.session().execute(text("SELECT 1"))
    try:
        storage().check()
    except StoreUnavailable as exc:
        log.warning("media store unavailable: %s", exc)
        raise ServiceUnavailable(
            "The media store is not reachable; try again shortly.", headers={"Retry-After": "5"}
        ) from exc
    return json_response({"status": "ok", "database": "ok", "media": "ok"})


def get():
    """The first health operation, kept for the clients and probes that use it: readiness."""
    return ready()
