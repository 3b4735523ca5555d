"""Redirects that point at the public origin (api.urls.origin), like every other link we hand out."""

from urllib.parse import urlsplit

from starlette.datastructures import Headers

from api.config import settings_of
from api.urls import origin


class PublicRedirects:
    """Redirects point at the public origin too.

    Starlette builds the Location of its redirect to the path with the final slash from the Host
    header, and the Swagger UI's from the path alone; both become PUBLIC_URL (or the checked origin)
    followed by the path and query they name.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_public(message):
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message = {**message, "headers": _relocated(scope, message["headers"])}
            await send(message)

        await self.app(scope, receive, send_public)


def _relocated(scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    request_headers = Headers(scope=scope)
    base = origin(settings_of(scope), scope["scheme"], request_headers.get("host", ""), request_headers)
    result = []
    for name, value in headers:
        if name.lower() == b"location":
            target = urlsplit(value.decode("latin-1"))
            query = f"?{target.query}" if target.query else ""
            value = f"{base}{target.path}{query}".encode("latin-1")
        result.append((name, value))
    return result
