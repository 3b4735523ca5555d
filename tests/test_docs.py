"""The API reference page: served at /api/v2/docs/ with a strict CSP, and rendered offline in Chromium.

In process (no Node.js needed), against small pages the tests write: the headers, the CSP hashes,
the ETag and 304, HEAD, a rebuilt page, and the 404 when nothing is built.

Live (Node.js, npm and /usr/bin/chromium; REQUIRE_TOOLS=1 makes their absence a failure): `make
docs` builds the real page, `course-api serve` serves it, and tools/browser/docs-check.mjs opens it
in Chromium with every request off 127.0.0.1 refused: each operation of openapi/v2.yaml must render
with its summary, method and path, no request may leave loopback, and no console error may appear
beyond the named cases below. The screenshot lands in build/docs/screenshot.png.
"""

import base64
import hashlib
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from api.app import create_app, load_spec
from api.config import Settings
from api.serving.docs import DOCS_PATH
from tests.support.live import ROOT, live_service
from tests.support.npm import npm_ci
from tests.support.tokens import SECRET
from tests.support.tools import require_tool

BROWSER_DIR = ROOT / "tools" / "browser"
PAGE = ROOT / "build" / "docs" / "index.html"
SCREENSHOT = ROOT / "build" / "docs" / "screenshot.png"
MAKE_TIMEOUT = 600
# The check opens every tag's menu and reads it until it stops growing: with 43 operations that took
# about 250 s on a busy 2-core machine.
BROWSER_TIMEOUT = 600
# Typed into the page's search box; every operation of the sections tag must be among the results.
SEARCH = "section"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

SMALL_PAGE = """<!DOCTYPE html><html><head><title>t</title>
<script>window.first = 1;</script></head>
<body><div id="redoc"></div><script type="module">
  window.second = "a &amp; b";
</script><script src="/ignored.js"></script></body></html>"""


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.fixture
def docs_client(database_url, tmp_path):
    """An app whose DOCS_PAGE is a file of the test's own, and that file's path (not written yet)."""
    page = tmp_path / "docs" / "index.html"
    app = create_app(
        Settings(
            database_url=database_url,
            media_root=tmp_path / "media",
            jwt_secret=SECRET,
            allowed_hosts=("testserver",),
            docs_page=page,
        )
    )
    with app.test_client() as client:
        yield client, page


class TestServedPage:
    def test_not_built_is_a_problem_naming_make_docs(self, docs_client):
        client, _ = docs_client
        response = client.get(DOCS_PATH)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 404
        assert "make docs" in body["detail"]
        assert body["errors"] == [{"messages": [{"code": "not_built", "message": body["detail"]}]}]

    def test_page_with_its_headers(self, docs_client):
        client, page = docs_client
        page.parent.mkdir()
        page.write_text(SMALL_PAGE)
        response = client.get(DOCS_PATH)
        assert response.status_code == 200
        assert response.content == page.read_bytes()
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert re.fullmatch(r'"[\x21\x23-\x7e]+"', response.headers["etag"])

    def test_policy_admits_exactly_the_inline_scripts_by_hash(self, docs_client):
        client, page = docs_client
        page.parent.mkdir()
        page.write_text(SMALL_PAGE)
        policy = directives(client.get(DOCS_PATH).headers["content-security-policy"])
        # The browser hashes a script's text as written: entities are not decoded inside <script>.
        assert policy["script-src"] == [
            sha256_source("window.first = 1;"),
            sha256_source('\n  window.second = "a &amp; b";\n'),
        ]
        assert policy["default-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        # Nothing remote, and no source at all for connections, frames, objects or workers (default-src).
        every_source = [source for sources in policy.values() for source in sources]
        assert not [source for source in every_source if "//" in source or source in ("*", "http:", "https:")]
        assert {"connect-src", "frame-src", "object-src", "worker-src"}.isdisjoint(policy)

    def test_matching_if_none_match_is_304(self, docs_client):
        client, page = docs_client
        page.parent.mkdir()
        page.write_text(SMALL_PAGE)
        tag = client.get(DOCS_PATH).headers["etag"]
        for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            response = client.get(DOCS_PATH, headers={"If-None-Match": sent})
            assert response.status_code == 304, sent
            assert response.content == b""
            assert response.headers["etag"] == tag
            assert response.headers["cache-control"] == "no-cache"
        assert client.get(DOCS_PATH, headers={"If-None-Match": '"other"'}).status_code == 200

    def test_head_answers_the_headers_of_get(self, docs_client):
        client, page = docs_client
        page.parent.mkdir()
        page.write_text(SMALL_PAGE)
        got = client.get(DOCS_PATH)
        head = client.head(DOCS_PATH)
        assert head.status_code == 200
        assert head.content == b""
        for name in ("content-type", "content-security-policy", "etag", "cache-control", "content-length"):
            assert head.headers[name] == got.headers[name], name

    def test_rebuilt_page_is_served_with_a_new_tag_and_policy(self, docs_client):
        client, page = docs_client
        page.parent.mkdir()
        page.write_text(SMALL_PAGE)
        before = client.get(DOCS_PATH).headers
        page.write_text(SMALL_PAGE.replace("window.first = 1;", "window.first = 2;"))
        after = client.get(DOCS_PATH)
        assert after.headers["etag"] != before["etag"]
        assert sha256_source("window.first = 2;") in after.headers["content-security-policy"]
        assert client.get(DOCS_PATH, headers={"If-None-Match": before["etag"]}).status_code == 200
        page.unlink()
        assert client.get(DOCS_PATH).status_code == 404

    def test_other_methods_are_405_with_allow(self, docs_client):
        client, _ = docs_client
        response = client.post(DOCS_PATH)
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
        assert response.headers["content-type"] == "application/problem+json"

    def test_path_without_slash_redirects(self, docs_client):
        client, _ = docs_client
        response = client.get(DOCS_PATH.rstrip("/"), follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == f"http://testserver{DOCS_PATH}"


# --- the real page, served live, in Chromium -------------------------------------------------------

# Requests the browser made that our CSP refused, each harmless and expected; anything else fails.
# Redoc 3 draws the "API docs by" badge with a logo fetched from Redocly's CDN (hard-coded, no option
# turns it off). The CSP refuses it before any connection is made, and the badge drops the image
# when it fails to load; the page is complete without it.
ALLOWED_BLOCKED_IMAGES = {
    "https://cdn.redoc.ly/redoc/logo-mini-full.svg",
    "https://cdn.redoc.ly/redoc/logo-mini.svg",
}
# Redoc's search (FlexSearch) probes whether it may build its worker with `Function(...)`; with no
# 'unsafe-eval' the probe fails and search runs in the page instead. The probe catches the refusal,
# so it only shows as a violation event, never as a console error.
ALLOWED_EVAL = {"directive": "script-src", "blocked": "eval"}


def spec_operations() -> dict[str, dict]:
    """What Redoc should show for each operation, keyed by its route (`<tag>/<operationid>`, lower case)."""
    spec = load_spec()
    found = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                route = f"{operation['tags'][0]}/{operation['operationId'].lower()}"
                found[route] = {"summary": operation["summary"], "method": method.upper(), "path": path}
    return found


def is_allowed_violation(violation: dict) -> bool:
    if violation["directive"] == "img-src":
        return violation["blocked"] in ALLOWED_BLOCKED_IMAGES
    return {key: violation[key] for key in ALLOWED_EVAL} == ALLOWED_EVAL


def is_allowed_console_error(text: str) -> bool:
    return any(text.startswith(f"Loading the image '{url}' violates") for url in ALLOWED_BLOCKED_IMAGES)


class _Tags(HTMLParser):
    """Elements of a page that would fetch something by URL: external scripts, linked styles, frames."""

    def __init__(self):
        super().__init__()
        self.references: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.references.append(f"script {attributes['src']}")
            else:
                self.inline_scripts += 1
        elif tag == "link" and attributes.get("href"):
            self.references.append(f"link {attributes.get('rel')} {attributes['href']}")
        elif tag in ("iframe", "frame", "object", "embed") and (attributes.get("src") or attributes.get("data")):
            self.references.append(f"{tag} {attributes.get('src') or attributes.get('data')}")


@pytest.fixture(scope="module")
def built_page():
    """`make docs`: the page the server will serve (rebuilt only when the spec or redocly.yaml changed)."""
    require_tool("node", "to run Redocly CLI, which renders the reference (make docs)")
    require_tool("npm", "to install the pinned Redocly CLI (tools/redocly)")
    make = require_tool("make", "to run `make docs`")
    run = subprocess.run(
        [make, "--no-print-directory", "docs"], cwd=ROOT, capture_output=True, text=True, timeout=MAKE_TIMEOUT
    )
    assert run.returncode == 0, f"make docs failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
    assert PAGE.is_file()
    return PAGE


@pytest.fixture(scope="module")
def docs_server(built_page, tmp_path_factory):
    with live_service("docs", tmp_path_factory.mktemp("docs"), [{"username": "reader"}], workers=1) as (server, _):
        yield server


@pytest.fixture(scope="module")
def browser_report(docs_server):
    require_tool("chromium", "to render the reference page (make chromium installs Debian's chromium)")
    node = require_tool("node", "to drive Chromium with playwright-core (tools/browser)")
    npm_ci(BROWSER_DIR)
    SCREENSHOT.unlink(missing_ok=True)
    url = f"{docs_server.url}/docs/"
    command = [node, "docs-check.mjs", url, str(SCREENSHOT), "--wait-ms", "30000", "--search", SEARCH]
    try:
        run = subprocess.run(command, cwd=BROWSER_DIR, capture_output=True, text=True, timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"docs-check.mjs did not finish within {BROWSER_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"docs-check.mjs printed no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    assert run.returncode == 0, f"docs-check.mjs failed: {report.get('error')}\n{run.stderr}"
    return report


class TestLivePage:
    def test_served_page_is_the_built_file(self, docs_server, built_page):
        response = httpx.get(f"{docs_server.url}/docs/", timeout=30)
        assert response.status_code == 200
        assert response.content == built_page.read_bytes()
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        script_sources = directives(response.headers["content-security-policy"])["script-src"]
        assert script_sources and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", s) for s in script_sources)
        again = httpx.get(f"{docs_server.url}/docs/", headers={"If-None-Match": response.headers["etag"]}, timeout=30)
        assert again.status_code == 304
        # The length of the page as it is: a HEAD that accepts gzip gets none (tests/test_compression.py).
        head = httpx.head(f"{docs_server.url}/docs/", headers={"Accept-Encoding": "identity"}, timeout=30)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(response.content))

    def test_page_loads_no_script_stylesheet_or_frame_by_url(self, built_page):
        """What --inlineBundle promises, read from the file; the browser run below proves it in use."""
        tags = _Tags()
        tags.feed(built_page.read_text())
        assert tags.references == []
        assert tags.inline_scripts >= 1

    def test_every_operation_renders_with_its_summary_method_and_path(self, browser_report):
        assert browser_report["status"] == 200
        assert browser_report["rendered"], browser_report
        expected = spec_operations()
        rendered = {
            op["id"]: {"summary": op.get("summary"), "method": op.get("method"), "path": op.get("path")}
            for op in browser_report["operations"]
            if op["rendered"]
        }
        assert sorted(rendered) == sorted(expected)
        assert rendered == expected

    def test_no_request_left_loopback(self, browser_report):
        assert browser_report["offLoopback"] == []
        blocked = [r["url"] for r in browser_report["failedRequests"]]
        assert set(blocked) <= ALLOWED_BLOCKED_IMAGES, blocked

    def test_no_console_error_and_no_unexpected_violation(self, browser_report):
        assert browser_report["pageErrors"] == []
        assert [text for text in browser_report["consoleErrors"] if not is_allowed_console_error(text)] == []
        assert [v for v in browser_report["cspViolations"] if not is_allowed_violation(v)] == []

    def test_search_finds_the_operations_of_a_tag(self, browser_report):
        """Search runs without its worker (refused by the CSP, see ALLOWED_EVAL) and still finds them."""
        assert browser_report["search"]["query"] == SEARCH
        results = browser_report["search"]["results"]
        summaries = [op["summary"] for route, op in spec_operations().items() if route.startswith("sections/")]
        assert summaries
        assert [summary for summary in summaries if not any(summary in result for result in results)] == []

    def test_screenshot_is_saved(self, browser_report):
        data = Path(browser_report["screenshot"]).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
