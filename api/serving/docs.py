"""The rendered API reference at /api/v2/docs/: the page `make docs` builds with Redocly.

Like the Swagger UI and /api/v2/openapi.json, it documents the API and is not an operation of it,
so the spec does not list it. The page is one self-contained file: Redoc's scripts and the bundled
spec are inlined, so a browser needs nothing but this answer. Its Content-Security-Policy allows
exactly the inline scripts the file holds, by their SHA-256 hashes, and nothing remote: should the
page (or something injected into it) try to load a script or reach another origin, the browser
refuses. Styles are the exception: Redoc's styled-components write <style> elements and `style`
attributes at run time, which only 'unsafe-inline' admits; a style cannot run code.

The file is read again whenever it changes on disk, so `make docs` while the server runs is enough.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from api.config import settings_of
from api.errors import NotFound
from api.urls import BASE_PATH
from api.web.preconditions import names_tag

DOCS_PATH = f"{BASE_PATH}/docs/"
METHODS = ("GET", "HEAD")
NOT_BUILT = "The API reference has not been built on this server: run `make docs`, then reload."
# Every fetch directive falls back to default-src; what the page needs beyond its own inline scripts
# is named below it. Redoc draws icons as inline SVG and data: URLs, and inlines its icon font the same way.
POLICY = (
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
)


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str
    headers: tuple[tuple[bytes, bytes], ...]


class _InlineScripts(HTMLParser):
    """The text of every <script> without `src`, as the browser hashes it (entities are not decoded there)."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data):
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def script_hashes(html: str) -> list[str]:
    """CSP sources ('sha256-...') of the page's inline scripts, in order, each once."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    sources = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in parser.scripts]
    return list(dict.fromkeys(sources))


def content_security_policy(html: str) -> str:
    scripts = " ".join(script_hashes(html)) or "'none'"
    return "; ".join((POLICY[0], f"script-src {scripts}", *POLICY[1:]))


def build_page(body: bytes) -> Page:
    etag = f'"docs-{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": content_security_policy(body.decode("utf-8")),
        # Revalidated on every load (a cheap 304), so a rebuilt reference shows at once.
        "cache-control": "no-cache",
        "etag": etag,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    return Page(body, etag, tuple((name.encode(), value.encode()) for name, value in headers.items()))


class PageFile:
    """The page in one file, parsed once per version of the file (its size, inode and change time)."""

    def __init__(self):
        self._version = None
        self._page: Page | None = None

    def load(self, path: Path) -> Page | None:
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return None
        version = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if version != self._version:
            try:
                body = path.read_bytes()
            except FileNotFoundError:
                return None
            self._page, self._version = build_page(body), version
        return self._page


class DocsPage:
    """GET and HEAD of /api/v2/docs/ answer the page; the path without its final slash redirects there."""

    def __init__(self, app):
        self.app = app
        self.file = PageFile()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in (DOCS_PATH, DOCS_PATH[:-1]):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in METHODS:
            raise HTTPException(405, headers={"Allow": ", ".join(METHODS)})
        if scope["path"] != DOCS_PATH:
            # The same answer Starlette gives every other path of the API without its slash.
            await _respond(send, 307, [(b"location", DOCS_PATH.encode()), (b"content-length", b"0")])
            return
        page = self.file.load(settings_of(scope).docs_page)
        if page is None:
            raise NotFound(NOT_BUILT, code="not_built")
        if names_tag("If-None-Match", Headers(scope=scope).getlist("if-none-match"), page.etag, weak=True):
            await _respond(send, 304, [header for header in page.headers if header[0] != b"content-type"])
            return
        length = (b"content-length", str(len(page.body)).encode())
        await _respond(send, 200, [*page.headers, length], b"" if scope["method"] == "HEAD" else page.body)


async def _respond(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
