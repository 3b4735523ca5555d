"""Cross-origin requests (CORS): which web pages on other origins may call the API from a browser.

Off unless CORS_ALLOWED_ORIGINS names origins. Two parts, because a browser needs the headers on
every answer, errors included, while a preflight is a request like any other for the guards:
- `CorsHeaders`, outside everything (even the error handlers, so that a 400 or a 500 carries them),
  adds `Access-Control-Allow-Origin` and the headers a script may read to the answers to an allowed
  origin;
- `AnswerPreflight`, among the guards (after the Host check), answers a preflight `OPTIONS`: 204
  when the origin, the method and every header asked for are allowed, else a 403 problem that says
  which one is not. A browser then refuses to send the request.
Tokens travel in `Authorization`, not in cookies, so credentials are only allowed when asked for.
"""

from starlette.datastructures import Headers, MutableHeaders

from api.config import settings_of
from api.errors import Forbidden

API_PREFIX = "/api/v2/"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What our operations read besides the CORS-safelisted headers (which browsers never ask for).
REQUEST_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-language",
    "content-type",
    "idempotency-key",
    "if-match",
    "if-none-match",
    # Read on every request (api/serving/request_ids.py).
    "traceparent",
    "x-request-id",
)
# What a script may read of an answer besides the safelisted ones (Content-Type, ...).
EXPOSED_HEADERS = (
    "ETag, Location, Retry-After, Idempotent-Replayed, WWW-Authenticate, RateLimit, RateLimit-Policy, X-Request-ID"
)
# How long a browser may keep a preflight's answer, in seconds.
MAX_AGE = "600"


def _allowed(origins: tuple[str, ...], origin: str) -> bool:
    return "*" in origins or origin.lower() in origins


def _is_preflight(scope, headers: Headers) -> bool:
    return scope["method"] == "OPTIONS" and "access-control-request-method" in headers


class CorsHeaders:
    """The CORS headers of every answer to a request from an allowed origin."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        origins = settings_of(scope).cors_allowed_origins if scope["type"] == "http" else ()
        origin = Headers(scope=scope).get("origin") if origins else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        credentials = settings_of(scope).cors_allow_credentials
        allowed = _allowed(origins, origin)

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "*" not in origins:
                    # The answer depends on the Origin: a shared cache must keep one per origin.
                    headers.add_vary_header("Origin")
                if allowed:
                    headers["Access-Control-Allow-Origin"] = "*" if "*" in origins and not credentials else origin
                    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
                    if credentials:
                        headers["Access-Control-Allow-Credentials"] = "true"
            await send(message)

        await self.app(scope, receive, send_with_cors)


class AnswerPreflight:
    """204 to an allowed preflight of an API path, a 403 problem to any other preflight there."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if headers is None or not scope["path"].startswith(API_PREFIX) or not _is_preflight(scope, headers):
            await self.app(scope, receive, send)
            return
        origins = settings_of(scope).cors_allowed_origins
        origin = headers.get("origin")
        if not origins or origin is None or not _allowed(origins, origin):
            raise Forbidden(
                "Pages on this origin may not call the API; see CORS_ALLOWED_ORIGINS.", field="Origin", code="cors"
            )
        method = headers["access-control-request-method"]
        if method not in METHODS:
            raise Forbidden(
                f"No operation of the API answers {method}.", field="Access-Control-Request-Method", code="cors"
            )
        asked = [name.strip().lower() for name in headers.get("access-control-request-headers", "").split(",")]
        refused = [name for name in asked if name and name not in REQUEST_HEADERS]
        if refused:
            raise Forbidden(
                f"The API reads no header {', '.join(refused)}.", field="Access-Control-Request-Headers", code="cors"
            )
        answer = [
            (b"access-control-allow-methods", ", ".join(METHODS).encode()),
            (b"access-control-allow-headers", ", ".join(REQUEST_HEADERS).encode()),
            (b"access-control-max-age", MAX_AGE.encode()),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": answer})
        await send({"type": "http.response.body", "body": b""})
