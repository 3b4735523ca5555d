"""Does the baseline behave like our server? The same requests to both, compared answer by answer.

Both servers run on copies of one seeded database and get the requests in the same order, so ids,
revisions and timestamps agree and bodies must be equal; only each server's own address in page
links is replaced, and so are the instants a server took from its clock during the check (a member's
`joined_at` when they join, and the drip dates that follow from it), which differ by milliseconds.
Such an answer's ETag is compared without its digest (after `-p`), which hashes them. Error answers
are compared by status, media type and (field, code) pairs, not by their wording. `bench.run` runs
this first and refuses to compare servers that disagree; on its own:

    .venv/bin/python -m bench.check_parity
"""

import http.client
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import jwt

from bench.databases import SQLITE, open_databases
from bench.operations import OPERATIONS, token
from bench.seed import JOINER, MANAGER, MEMBER, OUTSIDER, OWNER, SEARCH_TERM, TEACHER, Fixture, build
from bench.servers import BASELINE, OURS, Server

LAST_ETAG = object()  # If-Match with the ETag of the previous answer of the same server
BAD_TOKENS = ("unknown user", "expired", "other secret", "refresh token", "user_id as text", "no jti", "none")


def tokens(secret: str) -> dict:
    now = int(time.time())
    return {
        OWNER: token(secret, OWNER),
        MANAGER: token(secret, MANAGER),
        OUTSIDER: token(secret, OUTSIDER),
        MEMBER: token(secret, MEMBER),
        TEACHER: token(secret, TEACHER),
        JOINER: token(secret, JOINER),
        "unknown user": token(secret, 9999),
        "expired": token(secret, ttl=-60),
        "other secret": token("another-secret-that-is-long-enough-for-hs256"),
        "refresh token": token(secret, token_type="refresh"),
        "user_id as text": token(secret, user_id="1"),
        "no jti": jwt.encode({"user_id": 1, "token_type": "access", "iat": now, "exp": now + 600}, secret),
        "none": None,
    }


def cases(f: Fixture) -> list[tuple]:
    """(what, method, path, body, user, headers, expected status). Order matters: writes change what follows."""
    patch, put, post = OPERATIONS[:3]
    course, (write_course, section) = f.edit_course, f.write_sections[0]
    foreign_section = f.write_sections[1][1]
    sec = f"/api/v2/course/{write_course}/section/{section}/"
    edit = f"/api/v2/course/{course}/?view=edit"
    search, roles = "/api/v2/course/search/?search=", "/api/v2/course/search/?statuses="
    # What a client reading a section and sending it back with changes would send.
    round_trip = {"name": "  Padded  ", "dripped_at": "2026-12-01t10:00:00.5+02:00", "id": 1, "revision": 9,
                  "lessons_order": [], "num_lessons": 0, "lessons": []}  # fmt: skip
    return [
        ("GET view=edit (benchmarked)", "GET", edit, None, OWNER, {}, 200),
        ("GET view=edit, current If-None-Match", "GET", edit, None, OWNER, {"If-None-Match": LAST_ETAG}, 304),
        # The tag of view=edit holds the caller's progress too: the bare revision's tag is not it.
        ("GET view=edit, revision's tag", "GET", edit, None, OWNER, {"If-None-Match": f'"c{course}-r1"'}, 200),
        ("GET view=edit by a manager", "GET", edit, None, MANAGER, {}, 200),
        ("GET view=edit by an outsider", "GET", edit, None, OUTSIDER, {}, 403),
        ("GET view=user by an outsider", "GET", f"/api/v2/course/{course}/", None, OUTSIDER, {}, 200),
        ("GET private course, outsider", "GET", f"/api/v2/course/{f.private_course}/", None, OUTSIDER, {}, 200),
        ("GET secret course, outsider", "GET", f"/api/v2/course/{f.secret_course}/", None, OUTSIDER, {}, 404),
        ("GET draft course, outsider", "GET", f"/api/v2/course/{f.draft_course}/", None, OUTSIDER, {}, 404),
        ("GET unknown view", "GET", f"/api/v2/course/{course}/?view=outline", None, OWNER, {}, 400),
        ("GET unknown parameter", "GET", f"/api/v2/course/{course}/?member=2", None, OWNER, {}, 400),
        ("GET missing course", "GET", "/api/v2/course/999999/?view=edit", None, OWNER, {}, 404),
        ("PATCH (benchmarked)", "PATCH", sec, patch.body, OWNER, {}, 200),
        ("PUT (benchmarked)", "PUT", sec, put.body, OWNER, {}, 200),
        ("POST (benchmarked)", "POST", f"/api/v2/course/{write_course}/section/", post.body, OWNER, {}, 201),
        ("PATCH read-only fields, padded name, offset date", "PATCH", sec, round_trip, OWNER, {}, 200),
        ("PATCH dripped_at null", "PATCH", sec, {"dripped_at": None}, OWNER, {}, 200),
        ("PATCH lessons_order not the section's", "PATCH", sec, {"lessons_order": [3]}, OWNER, {}, 400),
        (
            "POST lessons_order not empty",
            "POST",
            f"/api/v2/course/{write_course}/section/",
            {"name": "x", "lessons_order": [1]},
            OWNER,
            {},
            400,
        ),
        ("PATCH empty object", "PATCH", sec, {}, OWNER, {}, 200),
        ("PATCH by a manager", "PATCH", sec, {"drip_delay": 0}, MANAGER, {}, 200),
        ("PATCH If-Match current", "PATCH", sec, {"drip_delay": 1}, OWNER, {"If-Match": LAST_ETAG}, 200),
        ("PATCH If-Match stale", "PATCH", sec, {"drip_delay": 2}, OWNER, {"If-Match": f'"s{section}-r1"'}, 412),
        ("PATCH If-Match weak", "PATCH", sec, {"drip_delay": 2}, OWNER, {"If-Match": f'W/"s{section}-r1"'}, 412),
        ("PUT If-Match *", "PUT", sec, {"name": "Starred"}, OWNER, {"If-Match": "*"}, 200),
        ("PUT without name", "PUT", sec, {"drip_delay": 1}, OWNER, {}, 400),
        ("POST without name", "POST", f"/api/v2/course/{write_course}/section/", {}, OWNER, {}, 400),
        ("POST blank name", "POST", f"/api/v2/course/{course}/section/", {"name": " \t "}, OWNER, {}, 400),
        ("POST by an outsider", "POST", f"/api/v2/course/{course}/section/", {"name": "x"}, OUTSIDER, {}, 403),
        ("PATCH drip_delay -1", "PATCH", sec, {"drip_delay": -1}, OWNER, {}, 400),
        ("PATCH drip_delay 3651", "PATCH", sec, {"drip_delay": 3651}, OWNER, {}, 400),
        ("PATCH drip_delay as text", "PATCH", sec, {"drip_delay": "7"}, OWNER, {}, 200),
        ("PATCH drip_delay as text, leading zero", "PATCH", sec, {"drip_delay": "07"}, OWNER, {}, 400),
        ("PATCH drip_delay as text, too long", "PATCH", sec, {"drip_delay": "00007"}, OWNER, {}, 400),
        ("PATCH the web app's section type", "PATCH", sec, {"name": "Typed", "type": "lesson"}, OWNER, {}, 200),
        ("PATCH another section type", "PATCH", sec, {"type": "quiz"}, OWNER, {}, 400),
        ("PATCH drip_delay true", "PATCH", sec, {"drip_delay": True}, OWNER, {}, 400),
        ("PATCH drip_delay 7.0", "PATCH", sec, {"drip_delay": 7.0}, OWNER, {}, 400),
        ("PATCH empty name", "PATCH", sec, {"name": ""}, OWNER, {}, 400),
        ("PATCH name of 256", "PATCH", sec, {"name": "x" * 256}, OWNER, {}, 400),
        ("PATCH name with NUL", "PATCH", sec, {"name": "a\x00b"}, OWNER, {}, 400),
        ("PATCH name not text", "PATCH", sec, {"name": 5}, OWNER, {}, 400),
        ("PATCH bad date", "PATCH", sec, {"dripped_at": "tomorrow"}, OWNER, {}, 400),
        ("PATCH 30 February", "PATCH", sec, {"dripped_at": "2026-02-30T00:00:00Z"}, OWNER, {}, 400),
        ("PATCH unknown and read-only fields", "PATCH", sec, {"colour": "red", "id": 3, "size": 1}, OWNER, {}, 400),
        ("PATCH a list", "PATCH", sec, [], OWNER, {}, 400),
        ("PATCH null", "PATCH", sec, "null", OWNER, {}, 400),
        ("PATCH broken JSON", "PATCH", sec, '{"name": ', OWNER, {}, 400),
        ("PATCH unknown parameter", "PATCH", f"{sec}?force=1", {}, OWNER, {}, 400),
        ("PATCH by an outsider", "PATCH", sec, {}, OUTSIDER, {}, 403),
        (
            "PATCH section of another course",
            "PATCH",
            f"/api/v2/course/{course}/section/{foreign_section}/",
            {},
            OWNER,
            {},
            404,
        ),
        (  # 403, not 404: a caller who may not edit the course gets 403 before the section is looked up
            "PATCH section, outsider, other course",
            "PATCH",
            f"/api/v2/course/{course}/section/{foreign_section}/",
            {},
            OUTSIDER,
            {},
            403,
        ),
        ("PATCH course id 0", "PATCH", f"/api/v2/course/0/section/{section}/", {}, OWNER, {}, 400),
        *[(f"PATCH with token: {name}", "PATCH", sec, {}, name, {}, 401) for name in BAD_TOKENS],
        ("PATCH with the Token scheme", "PATCH", sec, {}, ("Token", OWNER), {}, 200),
        ("search (benchmarked)", "GET", f"{search}{SEARCH_TERM}", None, OWNER, {}, 200),
        ("search by an outsider", "GET", f"{search}{SEARCH_TERM}", None, OUTSIDER, {}, 200),
        ("search upper case, second page", "GET", f"{search}WATERCOLOUR&limit=5&offset=5", None, OWNER, {}, 200),
        ("search by name, ascending", "GET", f"{search}bird&ordering=name&limit=3", None, OWNER, {}, 200),
        ("search my roles", "GET", f"{roles}manager&statuses=joined", None, OWNER, {}, 200),
        ("search my courses", "GET", f"{roles}creator&ordering=-created_at", None, OWNER, {}, 200),
        ("search categories", "GET", f"{search}piano&categories=2&categories=4", None, OUTSIDER, {}, 200),
        ("search wildcard characters", "GET", f"{search}%25_", None, OWNER, {}, 200),
        ("search limit 0", "GET", f"{search}x&limit=0", None, OWNER, {}, 400),
        ("search limit not a number", "GET", f"{search}x&limit=ten", None, OWNER, {}, 400),
        ("search unknown ordering", "GET", f"{search}x&ordering=price", None, OWNER, {}, 400),
        ("search unknown parameter", "GET", f"{search}x&page=2", None, OWNER, {}, 400),
        ("GET view=edit after the writes", "GET", f"/api/v2/course/{write_course}/?view=edit", None, OWNER, {}, 200),
        *learning_cases(f),
    ]


def learning_cases(f: Fixture) -> list[tuple]:
    """The member's course and POST complete: locks, counts, rates, tags, and who may mark what."""
    learn, ordered, scheduled, finished = f.learn_course, f.ordered_course, f.scheduled_course, f.finished_course
    user_view = f"/api/v2/course/{learn}/"

    def mark(course, pair):
        return f"/api/v2/course/{course}/section/{pair[0]}/lesson/{pair[1]}/complete/"

    first_open, second_open = f.open_lessons[0], f.open_lessons[1]  # completed, not completed
    other_section = f.open_lessons[-1][0]
    return [
        ("GET view=user as a member (benchmarked)", "GET", user_view, None, MEMBER, {}, 200),
        ("GET view=user as a member, current If-None-Match", "GET", user_view, None, MEMBER,
         {"If-None-Match": LAST_ETAG}, 304),
        ("GET view=user, order enforced", "GET", f"/api/v2/course/{ordered}/", None, MEMBER, {}, 200),
        ("GET view=user, scheduled private course", "GET", f"/api/v2/course/{scheduled}/", None, MEMBER, {}, 200),
        ("GET view=user, everything completed", "GET", f"/api/v2/course/{finished}/", None, MEMBER, {}, 200),
        ("GET view=user by an outsider, all locked", "GET", user_view, None, OUTSIDER, {}, 200),
        ("GET scheduled private course, outsider", "GET", f"/api/v2/course/{scheduled}/", None, OUTSIDER, {}, 200),
        ("GET view=user by the creator", "GET", user_view, None, TEACHER, {}, 200),
        ("GET view=user by a manager, its dates", "GET", f"{user_view}?view=user", None, MANAGER, {}, 200),
        ("GET view=edit with drafts", "GET", f"{user_view}?view=edit", None, TEACHER, {}, 200),
        ("GET view=dashboard", "GET", f"{user_view}?view=dashboard", None, TEACHER, {}, 200),
        ("GET view=dashboard by a member", "GET", f"{user_view}?view=dashboard", None, MEMBER, {}, 403),
        ("GET as the member, by the creator", "GET", f"{user_view}?user={MEMBER}", None, TEACHER, {}, 200),
        ("GET as a manager, by the creator", "GET", f"{user_view}?user={MANAGER}", None, TEACHER, {}, 200),
        ("GET as an outsider, by the creator", "GET", f"{user_view}?user={OUTSIDER}", None, TEACHER, {}, 404),
        ("GET as another member, by a member", "GET", f"{user_view}?user={MEMBER}", None, MEMBER, {}, 403),
        ("GET user=0", "GET", f"{user_view}?user=0", None, TEACHER, {}, 400),
        ("GET user not a number", "GET", f"{user_view}?user=me", None, TEACHER, {}, 400),
        ("POST complete (benchmarked), already completed", "POST", mark(learn, first_open), None, MEMBER, {}, 204),
        ("POST complete, a new one", "POST", mark(learn, second_open), None, MEMBER, {}, 204),
        ("POST complete, the same again", "POST", mark(learn, second_open), None, MEMBER, {}, 204),
        ("POST complete, section not open yet", "POST", mark(learn, f.dripping_lesson), None, MEMBER, {}, 403),
        ("POST complete, a draft", "POST", mark(learn, f.draft_lesson), None, MEMBER, {}, 404),
        ("POST complete, a draft by the creator", "POST", mark(learn, f.draft_lesson), None, TEACHER, {}, 204),
        ("POST complete, wrong section", "POST", mark(learn, (other_section, first_open[1])), None, MEMBER, {}, 404),
        ("POST complete, no such lesson", "POST", mark(learn, (first_open[0], 999999)), None, MEMBER, {}, 404),
        ("POST complete, outsider", "POST", mark(learn, first_open), None, OUTSIDER, {}, 403),
        ("POST complete, outsider, no such lesson", "POST", mark(learn, (1, 999999)), None, OUTSIDER, {}, 403),
        ("POST complete, secret of nobody", "POST", mark(f.secret_course, first_open), None, OUTSIDER, {}, 404),
        ("POST complete, no such course", "POST", mark(999999, first_open), None, MEMBER, {}, 404),
        ("POST complete, lesson id 0", "POST", mark(learn, (first_open[0], 0)), None, MEMBER, {}, 400),
        ("POST complete, unknown parameter", "POST", mark(learn, first_open) + "?now=1", None, MEMBER, {}, 400),
        *[(f"POST complete with token: {name}", "POST", mark(learn, first_open), None, name, {}, 401)
          for name in BAD_TOKENS],
        ("POST complete, next in order", "POST", mark(ordered, f.ordered_lessons[2]), None, MEMBER, {}, 204),
        ("POST complete, after a gap in order", "POST", mark(ordered, f.ordered_lessons[5]), None, MEMBER, {}, 403),
        ("POST complete, dated section open", "POST", mark(scheduled, f.scheduled_lessons[0]), None, MEMBER, {}, 204),
        ("POST complete, no date", "POST", mark(scheduled, f.scheduled_lessons[2]), None, MEMBER, {}, 204),
        ("POST complete, date to come", "POST", mark(scheduled, f.scheduled_lessons[4]), None, MEMBER, {}, 403),
        ("GET view=user as a member after completing", "GET", user_view, None, MEMBER, {}, 200),
        ("GET view=user, order enforced, after", "GET", f"/api/v2/course/{ordered}/", None, MEMBER, {}, 200),
        ("GET view=dashboard after completing", "GET", f"{user_view}?view=dashboard", None, TEACHER, {}, 200),
        ("search, the member's rates", "GET", "/api/v2/course/search/?search=lessons", None, MEMBER, {}, 200),
        *membership_cases(f),
    ]  # fmt: skip


def membership_cases(f: Fixture) -> list[tuple]:
    """Joining (the benchmarked open course and the other privacies) and the dashboard's people."""
    join = f"/api/v2/course/{f.join_courses[0]}/join/"
    users = f"/api/v2/course/{f.roster_course}/users/"
    return [
        ("POST join (benchmarked)", "POST", join, None, JOINER, {}, 200),
        ("POST join, again", "POST", join, None, JOINER, {}, 200),
        ("POST join, a course with lessons", "POST", f"/api/v2/course/{f.learn_course}/join/", None, JOINER, {}, 200),
        ("POST join, a member already", "POST", f"/api/v2/course/{f.learn_course}/join/", None, MEMBER, {}, 200),
        ("POST join, by its creator", "POST", f"/api/v2/course/{f.learn_course}/join/", None, TEACHER, {}, 200),
        ("POST join, private: a request", "POST", f"/api/v2/course/{f.private_course}/join/", None, JOINER, {}, 200),
        ("POST join, private, asked before", "POST", f"/api/v2/course/{f.private_course}/join/", None, JOINER, {}, 200),
        ("POST join, secret", "POST", f"/api/v2/course/{f.secret_course}/join/", None, JOINER, {}, 404),
        ("POST join, draft", "POST", f"/api/v2/course/{f.draft_course}/join/", None, JOINER, {}, 404),
        ("POST join, no such course", "POST", "/api/v2/course/999999/join/", None, JOINER, {}, 404),
        ("POST join, unknown parameter", "POST", f"{join}?as=1", None, JOINER, {}, 400),
        *[(f"POST join with token: {name}", "POST", join, None, name, {}, 401) for name in BAD_TOKENS],
        ("GET view=user after joining", "GET", f"/api/v2/course/{f.learn_course}/", None, JOINER, {}, 200),
        ("GET users/ (benchmarked)", "GET", users, None, TEACHER, {}, 200),
        ("GET users/, oldest first", "GET", f"{users}?ordering=joined_at", None, TEACHER, {}, 200),
        ("GET users/, last active", "GET", f"{users}?ordering=-last_active_at", None, TEACHER, {}, 200),
        ("GET users/, least active", "GET", f"{users}?ordering=last_active_at&limit=5", None, TEACHER, {}, 200),
        ("GET users/, third page", "GET", f"{users}?limit=7&offset=14", None, TEACHER, {}, 200),
        ("GET users/, past the end", "GET", f"{users}?offset=600", None, TEACHER, {}, 200),
        ("GET users/, search", "GET", f"{users}?search=USER12", None, TEACHER, {}, 200),
        ("GET users/, members only", "GET", f"{users}?statuses=joined&limit=3", None, TEACHER, {}, 200),
        ("GET users/ of the learn course", "GET", f"/api/v2/course/{f.learn_course}/users/", None, TEACHER, {}, 200),
        ("GET users/, managers", "GET", f"/api/v2/course/{f.learn_course}/users/?statuses=manager", None, TEACHER,
         {}, 200),
        ("GET users/ by an outsider", "GET", users, None, OUTSIDER, {}, 403),
        ("GET users/ by a member", "GET", f"/api/v2/course/{f.learn_course}/users/", None, MEMBER, {}, 403),
        ("GET users/, bad ordering", "GET", f"{users}?ordering=name", None, TEACHER, {}, 400),
        ("GET users/, limit 0", "GET", f"{users}?limit=0", None, TEACHER, {}, 400),
        ("GET users/, unknown status", "GET", f"{users}?statuses=owner", None, TEACHER, {}, 400),
        ("GET users/, unknown parameter", "GET", f"{users}?page=2", None, TEACHER, {}, 400),
    ]  # fmt: skip


def send(server: Server, method: str, path: str, body, auth: str | None, headers: dict):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = dict(headers)
    if auth:
        headers["Authorization"] = auth
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = body if isinstance(body, str) else json.dumps(body)
    try:
        connection.request(method, path, body.encode() if body is not None else None, headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    media_type = (response.getheader("Content-Type") or "").split(";")[0].strip()
    answer = {"status": response.status, "media_type": media_type, "etag": response.getheader("ETag")}
    try:
        if media_type == "application/problem+json":
            errors = json.loads(raw)["errors"]
            answer["errors"] = sorted((e.get("field"), m["code"]) for e in errors for m in e["messages"])
        elif raw:
            body = json.loads(raw.decode().replace(server.url, "<server>"))
            answer["body"] = _without_clock_instants(body)
            if answer["body"] != body and answer["etag"]:
                answer["etag"] = answer["etag"].split("-p")[0] + '-p<digest of clock instants>"'
    except (ValueError, KeyError, TypeError):  # not what either server should send: show it as it came
        answer["raw"] = raw[:300].decode(errors="replace")
    return answer


def _without_clock_instants(value):
    """The answer with every date-time that has a fraction of a second as "<clock>": the seed writes
    whole seconds, so these are the instants a server took from its own clock during the check."""
    if isinstance(value, dict):
        return {key: _without_clock_instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_clock_instants(item) for item in value]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.microsecond:
            return "<clock>"
    return value


def check(ours: Server, baseline: Server, fixture: Fixture, secret: str) -> tuple[int, list[str]]:
    """The number of requests compared, and one line per disagreement."""
    signed = tokens(secret)
    problems, last_etag, compared = [], {}, 0
    for what, method, path, body, user, headers, expected in cases(fixture):
        answers = {}
        for server in (ours, baseline):
            scheme, user_ = user if isinstance(user, tuple) else ("Bearer", user)
            auth = f"{scheme} {signed[user_]}" if signed.get(user_) else None
            sent = {k: (last_etag.get(server.kind) if v is LAST_ETAG else v) for k, v in headers.items()}
            answers[server.kind] = send(server, method, path, body, auth, sent)
            last_etag[server.kind] = answers[server.kind]["etag"] or last_etag.get(server.kind)
        compared += 1
        mine, theirs = answers[OURS], answers[BASELINE]
        if mine["status"] != expected:
            problems.append(f"{what}: ours answered {mine['status']}, the check expects {expected}")
        if mine != theirs:
            where, ours_value, theirs_value = first_difference(mine, theirs)
            shown = json.dumps({"ours": ours_value, "baseline": theirs_value}, default=str)[:600]
            problems.append(f"{what}: ours and baseline differ at {where}: {shown}")
    return compared, problems


def first_difference(mine, theirs, where="answer"):
    """The path to the first place where two JSON values differ, and the two values found there."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in sorted(mine.keys() | theirs.keys()):
            if mine.get(key) != theirs.get(key):
                return first_difference(mine.get(key), theirs.get(key), f"{where}.{key}")
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if a != b:
                return first_difference(a, b, f"{where}[{index}]")
    return where, mine, theirs


def main() -> int:
    """The parity check alone, on a small database (DATABASE=postgresql: on a throwaway PostgreSQL server)."""
    secret = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix="bench-parity-") as folder:
        folder = Path(folder)
        databases = open_databases(os.environ.get("DATABASE") or SQLITE, folder)
        try:
            fixture = build(databases.new("template"), courses=2000, write_courses=20)
            urls = {kind: databases.copy(fixture.url, kind) for kind in (OURS, BASELINE)}
            with (
                Server(OURS, urls[OURS], secret, folder / f"{OURS}.log") as ours,
                Server(BASELINE, urls[BASELINE], secret, folder / f"{BASELINE}.log") as baseline,
            ):
                compared, problems = check(ours, baseline, fixture, secret)
        finally:
            databases.close()
    print("\n".join(problems) or f"parity: {compared} requests, the same answers from both servers")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
