"""The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header) for creating POSTs.

A client that is unsure whether a POST arrived sends it again with the same key and gets the first
answer back instead of a second course, section or role change. Everything lives in the database,
because the service runs as several processes in front of one database:

1. Before the handler runs, the key is claimed: a row with a null status is inserted and committed in
   a short transaction of its own, so every other worker sees at once that the key is taken. The
   unique (user_id, key) index decides between two workers that claim at the same moment; the loser
   reads the winner's row and answers from it.
2. A 2xx answer is written into that row through the request's own session, so the after_request
   hook commits it in one transaction with the work itself: the work is never committed without the
   answer that describes it.
3. A 400 or 422 answer is kept as well: it refuses the request as it was written, and the draft lets
   a server keep such answers. A client that corrects its request sends it under a new key. (The
   work was rolled back; the row is updated in a short transaction of its own.) Any other answer
   (401, 403, 404, 409, 412, 5xx) or an exception says more about the moment than about the
   request, so the claim is deleted and a retry with the same key runs afresh.

A claim holds its key for CLAIM_LEASE only: should a worker die in the middle of a request, its key
is free again after that instead of answering 409 for a whole day. A kept answer lives KEEP_FOR.
"""

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import connexion
import flask
from marshmallow import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from api import database
from api.config import ASGI_SCOPE
from api.errors import ApiProblem, BadRequest
from api.web import problems
from api.web.json_output import JSONIFIER
from models import IdempotencyKey, User
from models.base import utcnow

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = timedelta(hours=24)
CLAIM_LEASE = timedelta(minutes=1)
# Answers that only depend on the request itself; every other failure frees the key.
KEPT_ERRORS = frozenset({400, 422})
# The headers a replay repeats; the rest (Date, Content-Length...) belong to each exchange.
KEPT_HEADERS = ("Content-Type", "ETag", "Location")
CLAIM_ATTEMPTS = 3


class KeyReused(ApiProblem):
    status = 422
    code = "idempotency_key_reused"


class KeyInUse(ApiProblem):
    status = 409
    code = "idempotency_key_in_use"

    def __init__(self, detail: str = "A request with this Idempotency-Key is still being processed; retry shortly."):
        super().__init__(detail, headers={"Retry-After": "1"})


def idempotent(handler):
    """Give a POST handler the Idempotency-Key semantics; without the header it runs as before.

    Connexion reads the handler's parameters through `__wrapped__`, so it still passes `user`,
    path parameters and `body` by name.
    """

    @functools.wraps(handler)
    def wrapper(**kwargs):
        key = _sent_key()
        if key is None:
            return handler(**kwargs)
        # The claim comes before the handler opens the request's session: on SQLite that session
        # holds the write lock from its first query on, and the claim has to commit without it.
        held = _claim(kwargs["user"], key, fingerprint(flask.request.method, flask.request.path, kwargs.get("body")))
        if held is None:
            # Not an active user: the handler answers 401 as it would without the header.
            return handler(**kwargs)
        if isinstance(held, IdempotencyKey):
            return replay(held)
        try:
            result = handler(**kwargs)
            status, headers, body = _unpack(result)
        except (ApiProblem, ValidationError) as exc:
            _settle_failure(held, *_rendered_problem(exc))
            raise
        except BaseException:
            _release(held)
            raise
        if not 200 <= status < 300:
            _settle_failure(held, status, headers, body)
            return result
        try:
            _keep_with_work(held, status, headers, body)
        except BaseException:
            _release(held)
            raise
        return result

    return wrapper


def _sent_key() -> str | None:
    """The key the request sends, or None; several lines are refused rather than one of them chosen."""
    lines = [value for name, value in flask.request.environ[ASGI_SCOPE]["headers"] if name == b"idempotency-key"]
    if len(lines) > 1:
        raise BadRequest("Send one Idempotency-Key header, not several.", field=HEADER, code="duplicate_header")
    return flask.request.headers.get(HEADER)


def fingerprint(method: str, path: str, body) -> str:
    """SHA-256 of what makes two requests the same: method, path and the parsed body as canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def replay(row: IdempotencyKey):
    """The stored answer, byte for byte, marked as a replay."""
    headers = json.loads(row.response_headers or "{}")
    response = flask.Response(row.response_body, status=row.response_status, headers=headers)
    if "Content-Type" not in headers:
        # Werkzeug would label a body-less answer text/html; the first answer carried no type.
        del response.headers["Content-Type"]
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _rollback_request() -> None:
    """Undo the request's work now rather than after the answer, releasing its locks (SQLite's write lock)."""
    db = flask.g.get("db_session")
    if db is not None:
        db.rollback()


@dataclass(frozen=True)
class Claim:
    """Our own row. SQLite may give a later row the id of a deleted one, so the time tells them apart."""

    id: int
    created_at: datetime

    def still_ours(self):
        return (
            IdempotencyKey.id == self.id,
            IdempotencyKey.created_at == self.created_at,
            IdempotencyKey.response_status.is_(None),
        )


def _claim(user_id: int, key: str, print_: str) -> Claim | IdempotencyKey | None:
    """Take the key, or return the finished row a retry replays.

    Raises KeyReused when the key was first used for another request, KeyInUse while that
    request is still running. None means the token names no active user, who owns no keys.
    """
    for _ in range(CLAIM_ATTEMPTS):
        with database.own_transaction() as db:
            # The handler tests the user again (api.rules.access.current_user).
            if db.scalar(select(User.id).where(User.id == user_id, User.active)) is None:
                return None
            now = utcnow()
            # Expired rows of this user go first, which also turns an expired key into a new one.
            db.execute(
                delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.expires_at <= now)
            )
            row = db.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
            if row is None:
                claim = IdempotencyKey(
                    user_id=user_id, key=key, fingerprint=print_, created_at=now, expires_at=now + CLAIM_LEASE
                )
                db.add(claim)
                try:
                    db.commit()
                except IntegrityError:
                    # Another worker claimed the same key in between: read its row on the next round.
                    db.rollback()
                    continue
                return Claim(claim.id, claim.created_at)
            db.commit()
        if row.fingerprint != print_:
            raise KeyReused(
                "This Idempotency-Key was already used for a different request; use a new key for a new request.",
                field=HEADER,
            )
        if row.response_status is None:
            raise KeyInUse()
        return row
    # The key kept changing hands (claimed, then freed again): let the client come back.
    raise KeyInUse()


def _keep_with_work(claim: Claim, status: int, headers: dict, body: str | None) -> None:
    """Store a 2xx answer through the request's session, so it is committed together with the work."""
    done = database.session().execute(_store(claim, status, headers, body).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        # Our claim outlived its lease and another request took the key over: this one must not commit.
        raise KeyInUse("This request took too long and its Idempotency-Key was taken over; retry shortly.")


def _settle_failure(claim: Claim, status: int, headers: dict, body: str | None) -> None:
    """Keep a 400/422 answer; free the key after any other one. The request's own work is rolled back."""
    if status not in KEPT_ERRORS:
        _release(claim)
        return
    try:
        # Roll back first: on SQLite the request's write lock would keep the session below waiting.
        _rollback_request()
        with database.own_transaction() as db:
            db.execute(_store(claim, status, headers, body).execution_options(synchronize_session=False))
            db.commit()
    except Exception:
        log.exception("could not store the answer of idempotency key %s; freeing it", claim.id)
        _release(claim)


def _release(claim: Claim) -> None:
    """Delete a claim that produced no answer worth keeping, so the client may retry with the same key."""
    try:
        _rollback_request()
        with database.own_transaction() as db:
            db.execute(delete(IdempotencyKey).where(*claim.still_ours()))
            db.commit()
    except Exception:
        # The lease frees the key in CLAIM_LEASE anyway; the original failure matters more.
        log.exception("could not free idempotency key %s", claim.id)


def _store(claim: Claim, status: int, headers: dict, body: str | None):
    kept = {name: value for name in KEPT_HEADERS if (value := _header(headers, name)) is not None}
    return (
        update(IdempotencyKey)
        .where(*claim.still_ours())
        .values(
            response_status=status,
            response_headers=json.dumps(kept),
            response_body=body,
            expires_at=utcnow() + KEEP_FOR,
        )
    )


def _header(headers, name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


def _rendered_problem(exc: Exception) -> tuple[int, dict, str | None]:
    """The answer api/web/problems.py makes of an exception, to store exactly what the client receives."""
    # The request's id too: a replay repeats the first answer's body, which names the first request.
    if isinstance(exc, ApiProblem):
        response = problems.handle_api_problem(connexion.request, exc)
    else:
        response = problems.handle_load_error(connexion.request, exc)
    headers = dict(response.headers or {}) | {"Content-Type": response.content_type}
    return response.status_code, headers, response.body


def _unpack(result) -> tuple[int, dict, str | None]:
    """(status, headers, body text) of whatever a handler returned, read the way Connexion reads it."""
    if isinstance(result, flask.Response):
        return result.status_code, dict(result.headers), result.get_data(as_text=True)
    body, rest = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
    status, headers = None, {}
    for item in rest:
        if isinstance(item, int):
            status = item
        elif item is not None:
            headers = dict(item)
    if body is not None and not _header(headers, "Content-Type"):
        headers["Content-Type"] = "application/json"
    text = None if body is None else JSONIFIER.dumps(body)
    return status or (200 if body is not None else 204), headers, text
