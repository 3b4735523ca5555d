"""The official SelfCommunity course screens in a real browser, against the live service.

`tests/ui/` pins React and the `@selfcommunity/*` web packages in its lock file; `build.mjs` bundles
`src/page.jsx` (one screen inside `SCContextProvider`, chosen by the query string) once per lock
file and page source into `build/ui/bundle-<key>/`, and `drive.mjs` opens it in Debian's
`/usr/bin/chromium` with playwright-core, from an origin of its own (a loopback port) while the
service runs on another with `CORS_ALLOWED_ORIGINS` naming the page: every call is a real
cross-origin request, preflights included (nothing is routed). Each scenario of `drive.mjs` is one
test here: it fails on a step that did not happen (naming it), a 5xx, a 4xx from an operation of
our spec, a blank screen, a page error, or a console error about a call to us. Screenshots go to
`build/ui/<scenario>.png`; every call the screens made, with our answer, to `build/ui/calls.txt`.

Needs node, npm and chromium (`make chromium`); skips without them unless REQUIRE_TOOLS=1.
"""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest
import yaml
from PIL import Image
from sqlalchemy import select

from models import User
from tests.support.live import ROOT, live_service
from tests.support.npm import npm_ci
from tests.support.ports import free_port
from tests.support.tokens import make_token
from tests.support.tools import require_tool

UI_DIR = ROOT / "tests" / "ui"
OUT = ROOT / "build" / "ui"
CALLS = OUT / "calls.txt"
BUILD_TIMEOUT = 300
DRIVE_TIMEOUT = 420
SCENARIOS = [
    "list",
    "search",
    "filter managed by me",
    "filter my courses",
    "filter by category",
    "create a course with a cover",
    "customise and save",
    "add, rename, reorder and delete sections",
    "set a release delay",
    "open a course as its creator",
    "open a course as a member",
    "read and complete a lesson",
    "members and requests",
]


def spec_paths() -> list[tuple[str, re.Pattern, set[str]]]:
    """(template, its regex, methods) of every path of openapi/v2.yaml, concrete ones first."""
    spec = yaml.safe_load((ROOT / "openapi" / "v2.yaml").read_text())
    base = "/api/v2"
    paths = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + base + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        methods = {method.upper() for method in item if method in ("get", "put", "post", "patch", "delete")}
        paths.append((base + template, pattern, methods))
    return sorted(paths, key=lambda path: path[0].count("{"))


def template_of(path: str, paths) -> tuple[str, set[str] | None]:
    """The spec's template of a concrete path and its methods; a path outside the spec, with ids as {id}."""
    for template, pattern, methods in paths:
        if pattern.match(path):
            return template, methods
    return re.sub(r"/\d+(?=/|$)", "/{id}", path), None


@pytest.fixture(scope="module")
def bundle():
    """The page, bundled once per lock file, page source and build script (build/ui/bundle-<key>/)."""
    node = require_tool("node", "to bundle and drive the official course screens (tests/ui)")
    require_tool("chromium", "to render the official course screens (make chromium installs Debian's chromium)")
    npm_ci(UI_DIR)
    digest = hashlib.sha256()
    for name in ("package-lock.json", "build.mjs", "src/page.jsx"):
        digest.update((UI_DIR / name).read_bytes())
    target = OUT / f"bundle-{digest.hexdigest()[:16]}"
    if not (target / "index.html").is_file():
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("bundle-*"):
            shutil.rmtree(old, ignore_errors=True)
        partial = OUT / f"partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        run = subprocess.run(
            [node, "build.mjs", str(partial)], cwd=UI_DIR, capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
        assert run.returncode == 0, f"bundling the page failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
        partial.rename(target)
    return target


def cover_png(folder: Path) -> Path:
    """A 400 x 300 picture with something in it, for the course form's cover."""
    image = Image.new("RGB", (400, 300), (40, 90, 160))
    for x in range(0, 400, 40):
        image.paste((230, 180, 40), (x, 0, x + 20, 300))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path = folder / "cover.png"
    path.write_bytes(buffer.getvalue())
    return path


class Seeder:
    """The courses the scenarios work on, made through the API as their users would."""

    def __init__(self, url: str, tokens: dict[str, str]):
        self.url = url
        self.tokens = tokens

    def call(self, user: str, method: str, path: str, body=None, expect=(200, 201, 204)):
        response = httpx.request(
            method, self.url + path, json=body, headers={"Authorization": f"Bearer {self.tokens[user]}"}, timeout=30
        )
        assert response.status_code in expect, f"seeding: {method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    def course(self, name: str, type_: str = "self-paced", **fields) -> dict:
        return self.call("creator", "POST", "/course/", {"name": name, "type": type_, **fields})

    def section(self, course: dict, name: str) -> dict:
        return self.call("creator", "POST", f"/course/{course['id']}/section/", {"name": name})

    def lesson(self, course: dict, section: dict, name: str, text: str) -> dict:
        path = f"/course/{course['id']}/section/{section['id']}/lesson/"
        return self.call("creator", "POST", path, {"name": name, "status": "published", "text": text})


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The service, open to the page's origin, with a creator, a member, a user asking to join and a category."""
    folder = tmp_path_factory.mktemp("ui")
    page_port = free_port()
    users = [
        {"username": "ui-creator", "real_name": "Ursula Creator"},
        {"username": "ui-member", "real_name": "Milo Member"},
        {"username": "ui-requester", "real_name": "Rita Requester"},
    ]
    categories = [{"name": "Painting", "slug": "painting"}]
    settings = {"CORS_ALLOWED_ORIGINS": f"http://127.0.0.1:{page_port}"}
    with live_service("ui", folder, users, categories=categories, settings=settings) as (server, engine):
        with engine.connect() as connection:
            ids = dict(connection.execute(select(User.username, User.id)).all())
        tokens = {name: make_token(ids[f"ui-{name}"], ttl=3600) for name in ("creator", "member", "requester")}
        seed = Seeder(server.url, tokens)
        category = seed.call("creator", "GET", "/category/")
        category_id = (category["results"] if isinstance(category, dict) else category)[0]["id"]

        edited = seed.course("Landscape photography", description="From light to composition.")
        seed.section(edited, "Getting started")
        seed.section(edited, "Composition")
        seed.course("Night sky basics", description="Stars after dark.")
        painted = seed.course("Watercolour for members", description="Wet on wet.", categories=[category_id])
        member_section = seed.section(painted, "First washes")
        lesson = seed.lesson(painted, member_section, "Wet on wet", "<p>Let the colours bleed into each other.</p>")
        seed.call("creator", "PATCH", f"/course/{painted['id']}/", {"privacy": "open"})
        seed.call("member", "POST", f"/course/{painted['id']}/join/")
        structured = seed.course("Structured drip course", "structured", description="One section a fortnight.")
        seed.section(structured, "Week one")
        private = seed.course("Private atelier", description="By request only.")
        private_section = seed.section(private, "Sketching")
        seed.lesson(private, private_section, "Lines", "<p>Draw lines.</p>")
        seed.call("creator", "PATCH", f"/course/{private['id']}/", {"privacy": "private"})
        seed.call("creator", "POST", f"/course/{private['id']}/role/", {"joined": [ids["ui-member"]]})
        seed.call("requester", "POST", f"/course/{private['id']}/join/")

        data = {
            "listedCourse": "Landscape photography",
            "searchTerm": "Night",
            "searchedCourse": "Night sky basics",
            "joinedCourse": "Watercolour for members",
            "categoryName": "Painting",
            "categorisedCourse": "Watercolour for members",
            "coverFile": str(cover_png(folder)),
            "newCourseName": "Made in the browser",
            "editCourse": edited["id"],
            "firstSection": "Getting started",
            "secondSection": "Composition",
            "structuredCourse": structured["id"],
            "memberCourse": painted["id"],
            "memberCourseName": "Watercolour for members",
            "memberSection": "First washes",
            "memberSectionId": member_section["id"],
            "memberLesson": lesson["id"],
            "lessonText": "Let the colours bleed into each other.",
            "privateCourse": private["id"],
            "memberName": "ui-member",
            "requesterName": "ui-requester",
        }
        yield {"server": server, "page_port": page_port, "tokens": tokens, "data": data, "folder": folder}


@pytest.fixture(scope="module")
def report(request, bundle, live):
    """The selected scenarios (all, or those `-k` kept) driven in one browser; build/ui/calls.txt written."""
    node = require_tool("node", "to drive Chromium with playwright-core (tests/ui)")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    config = {
        "bundle": str(bundle),
        "pagePort": live["page_port"],
        "portal": live["server"].url.removesuffix("/api/v2"),
        "shots": str(OUT),
        "waitMs": 15000,
        "tokens": live["tokens"],
        "data": live["data"],
        "only": [
            item.callspec.params["name"]
            for item in request.session.items
            if item.originalname == "test_scenario" and hasattr(item, "callspec")
        ],
    }
    config_file = live["folder"] / "drive.json"
    config_file.write_text(json.dumps(config))
    try:
        run = subprocess.run(
            [node, "drive.mjs", str(config_file)], cwd=UI_DIR, capture_output=True, text=True, timeout=DRIVE_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"drive.mjs did not finish within {DRIVE_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
    try:
        scenarios = json.loads(run.stdout)["scenarios"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"drive.mjs printed no report (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    (OUT / "report.json").write_text(json.dumps(scenarios, indent=2))
    by_name = {scenario["name"]: scenario for scenario in scenarios}
    write_calls(scenarios, live["server"].url.removesuffix("/api/v2"))
    return by_name


def write_calls(scenarios: list[dict], origin: str) -> None:
    """build/ui/calls.txt: each call the screens made (method, path template, our status) and where."""
    paths = spec_paths()
    seen: dict[tuple[str, str, int], dict] = defaultdict(lambda: {"count": 0, "scenarios": set(), "in_spec": False})
    for scenario in scenarios:
        for call in scenario["calls"]:
            path = httpx.URL(call["url"]).path
            template, methods = template_of(path, paths)
            entry = seen[(call["method"], template, call["status"])]
            entry["count"] += call["count"]
            entry["scenarios"].add(scenario["name"])
            entry["in_spec"] = methods is not None and call["method"] in methods
    lines = [
        f"# Calls of the official course screens to the Course API ({origin}), from tests/test_ui.py.",
        "# method  path template  our status  [not in our spec]  requests  scenarios",
    ]
    for (method, template, status), entry in sorted(seen.items()):
        mark = "" if entry["in_spec"] else "  (not in our spec)"
        scenarios_of = ", ".join(sorted(entry["scenarios"]))
        lines.append(f"{method} {template} {status}{mark}  x{entry['count']}  [{scenarios_of}]")
    CALLS.write_text("\n".join(lines) + "\n")


def problems_of(scenario: dict, origin: str) -> list[str]:
    """What went wrong in one scenario, each naming the call or the message."""
    paths = spec_paths()
    problems = []
    if scenario["error"]:
        problems.append(f"step failed: {scenario['error']}")
    if scenario["blank"]:
        problems.append("the screen was blank")
    for call in scenario["calls"]:
        template, methods = template_of(httpx.URL(call["url"]).path, paths)
        ours = methods is not None and call["method"] in methods
        if call["status"] >= 500 or (ours and call["status"] >= 400):
            problems.append(f"{call['method']} {call['url']} -> {call['status']} (x{call['count']}): {call['body']}")
    problems += [f"page error: {error}" for error in scenario["pageErrors"]]
    problems += [
        f"unhandled failure of a call of ours: {call['method']} {call['url']} -> {call['status']} ({call['message']})"
        for call in scenario["rejectedCalls"]
        if is_ours(call["url"], origin, paths)
    ]
    ours = Counter(
        f"{error['text']} ({error['url']})"
        for error in scenario["consoleErrors"]
        if any(is_ours(url, origin, paths) for url in [error["url"], *URL.findall(error["text"])])
    )
    problems += [f"console error about a call of ours (x{count}): {text}" for text, count in ours.items()]
    problems += [
        f"request failed: {failed['method']} {failed['url']} ({failed['error']})"
        for failed in scenario["failedRequests"]
        if is_ours(failed["url"], origin, paths) and failed["error"] != "net::ERR_ABORTED"
    ]
    return problems


URL = re.compile(r"https?://[^\s'\"]+")


def is_ours(url: str, origin: str, paths) -> bool:
    """A URL of the service that names an operation of our spec (Chromium names it in a console error)."""
    return url.startswith(origin) and template_of(httpx.URL(url).path, paths)[1] is not None


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(report, live, name):
    assert name in report, f"drive.mjs ran no scenario {name!r} (it ran {sorted(report)})"
    scenario = report[name]
    problems = problems_of(scenario, live["server"].url.removesuffix("/api/v2"))
    steps = " -> ".join(scenario["steps"])
    assert problems == [], f"scenario {name!r} ({steps}); screenshot {scenario['screenshot']}:\n" + "\n".join(problems)
    assert Path(scenario["screenshot"]).stat().st_size > 5_000


def test_every_call_is_listed(report):
    listed = CALLS.read_text().splitlines()[2:]
    assert listed, "build/ui/calls.txt lists no call"
    assert any(line.startswith("GET /api/v2/course/search/ 200") for line in listed), listed
