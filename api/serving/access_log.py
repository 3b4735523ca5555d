"""The access log: one JSON line per request, and the JSON lines of the service's own log records.

`AccessLog` sits just inside `RequestIds` (api.serving.install), so it sees every answer, a guard's
early refusal and an uncaught error's 500 included, with the bytes that were really sent
(compressed ones when the answer was compressed). Everything in a line is already at hand when the
answer ends: the operation Connexion's routing matched and the subject its security check found,
both left in the scope's `extensions` (see `_extensions`), the request id from the scope, and the
path template of the operation from a table built once from the spec. A line costs one small
orjson dump and one logging call.

`course-api serve` sends the lines to standard output and the service's own records (errors with
their stack trace, warnings) to standard error as JSON too, through uvicorn's logging
configuration (`log_config`).
"""

import copy
import logging
import time
from datetime import UTC, datetime

import orjson
from uvicorn.config import LOGGING_CONFIG

from api.serving.request_ids import trace_context
from api.urls import BASE_PATH
from api.web.problems import REQUEST_ID

LOGGER = "course_api.access"
log = logging.getLogger(LOGGER)
# Connexion's names for what it keeps in scope["extensions"]: the routing's operation, the security's user.
_ROUTING = "connexion_routing"
_CONTEXT = "connexion_context"
# A path that matched no operation is logged as sent, up to this many characters.
MAX_PATH = 200


def path_templates(spec: dict) -> dict[str, str]:
    """The path template of every operation, by operationId: `/api/v2/course/{id}/` for getSpecificCourseInfo."""
    return {
        operation["operationId"]: BASE_PATH + path
        for path, item in spec["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _extensions(scope) -> tuple[dict, dict]:
    """The scope with an `extensions` dict of its own that every layer inside shares.

    Connexion's routing and security copy the scope they are given, shallowly, then write into its
    `extensions` (`setdefault`); a dict that is already there is the one they write into, and so the
    one this layer reads when the answer is done.
    """
    extensions = dict(scope.get("extensions") or {})
    return {**scope, "extensions": extensions}, extensions


class AccessLog:
    def __init__(self, app, templates: dict[str, str]):
        self.app = app
        self.templates = templates

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope, extensions = _extensions(scope)
        # A request that ends without an answer (an error escaping everything) is logged as a 500.
        answer = {"status": 500, "bytes": 0}

        async def send_counted(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            log.info(self._line(scope, extensions, answer, time.perf_counter() - started))

    def _line(self, scope, extensions: dict, answer: dict, seconds: float) -> str:
        operation = (extensions.get(_ROUTING) or {}).get("operation_id")
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": scope["method"],
            "path": self.templates[operation] if operation in self.templates else scope["path"][:MAX_PATH],
            "operation": operation,
            "status": answer["status"],
            "duration_ms": round(seconds * 1000, 2),
            "bytes": answer["bytes"],
            "user_id": (extensions.get(_CONTEXT) or {}).get("user"),
            "request_id": scope.get(REQUEST_ID),
        }
        trace = trace_context(scope["headers"])
        if trace is not None:
            line["trace_id"], line["span_id"], line["trace_flags"] = trace
        return orjson.dumps(line).decode()


class JsonLines(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message, the request id, the stack trace."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def log_config(access_log: bool) -> dict:
    """uvicorn's logging configuration, plus the service's records (stderr) and, when on, the access log (stdout).

    uvicorn applies it in every worker process (its `log_config` setting).
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json"] = {"()": f"{__name__}.JsonLines"}
    config["handlers"]["service"] = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
    }
    # api.* loggers: warnings and errors, as before, now as JSON lines.
    config["loggers"]["api"] = {"handlers": ["service"], "level": "WARNING", "propagate": False}
    if access_log:
        config["formatters"]["line"] = {"format": "%(message)s"}
        config["handlers"]["requests"] = {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stdout",
        }
        config["loggers"][LOGGER] = {"handlers": ["requests"], "level": "INFO", "propagate": False}
    return config
