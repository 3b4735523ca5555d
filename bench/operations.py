"""The benchmarked requests, shared by the driver and the parity check."""

import time
import uuid
from dataclasses import dataclass

import jwt

from bench.seed import JOINER, MEMBER, OWNER, SEARCH_TERM, TEACHER, Fixture


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    body: str | None
    # Who sends the requests.
    user: int = OWNER
    # The least req/s ours must reach, as a share of the baseline's.
    target: float = 0.9

    def paths(self, fixture: Fixture) -> list[str]:
        if self.name == "POST join":
            # A different open course each time: every request is a real join (the runs are shorter).
            return [f"/api/v2/course/{course}/join/" for course in fixture.join_courses]
        if self.name == "GET users":
            return [f"/api/v2/course/{fixture.roster_course}/users/"]
        if self.name == "POST complete":
            # Every lesson open to the member: the completed half changes nothing, the other half
            # is completed by the first pass (during the warm-up), so both servers do the same work.
            course = fixture.learn_course
            return [f"/api/v2/course/{course}/section/{s}/lesson/{ln}/complete/" for s, ln in fixture.open_lessons]
        if self.method in ("PATCH", "PUT"):
            return [f"/api/v2/course/{c}/section/{s}/" for c, s in fixture.write_sections]
        if self.method == "POST":
            return [f"/api/v2/course/{c}/section/" for c in fixture.write_courses]
        if self.name == "GET view=edit":
            return [f"/api/v2/course/{fixture.edit_course}/?view=edit"]
        if self.name == "GET view=user as a member":
            return [f"/api/v2/course/{fixture.learn_course}/"]
        return [f"/api/v2/course/search/?search={SEARCH_TERM}"]


OPERATIONS = [
    Operation("PATCH section", "PATCH", '{"name": "Part, renamed", "drip_delay": 7}'),
    Operation(
        "PUT section", "PUT", '{"name": "Part, rewritten", "dripped_at": "2026-12-01T09:00:00Z", "drip_delay": 3}'
    ),
    Operation("POST section", "POST", '{"name": "One more part", "drip_delay": 1}'),
    Operation("GET view=edit", "GET", None),
    Operation("GET search", "GET", None),
    # Issue 14 asks these two to keep up with the baseline in full.
    Operation("GET view=user as a member", "GET", None, user=MEMBER, target=1.0),
    Operation("POST complete", "POST", None, user=MEMBER, target=1.0),
    # And issue 15 these two: joining an open course, and the dashboard of a course of 500 members.
    Operation("POST join", "POST", None, user=JOINER, target=1.0),
    Operation("GET users", "GET", None, user=TEACHER, target=1.0),
]
SEARCH = next(op for op in OPERATIONS if op.name == "GET search")


def token(secret: str, user_id: int = OWNER, ttl: int = 4 * 3600, **claims) -> str:
    """An access token as api.auth.issue_token makes them."""
    now = int(time.time())
    payload = {"user_id": user_id, "token_type": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl}
    return jwt.encode(payload | claims, secret, algorithm="HS256", headers={"typ": "JWT"})
