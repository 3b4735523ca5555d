"""Which host names this service answers to, checked before anything reads a request.

Links we hand out start with the request's host (unless PUBLIC_URL is set), and a redirect or a
pagination link pointing at whatever host a client named would serve it to others (a shared cache,
a page that rebinds a name to this server). So a request must carry exactly one Host header, and its
name must be an allowed one; behind a trusted proxy, so must the X-Forwarded-Host the proxy passes on.
"""

import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers

from api.config import Settings, settings_of
from api.errors import BadRequest
from api.urls import first_value

DEFAULT_HOSTS = ("localhost", "127.0.0.1")
# A host name or an IP literal, with an optional port (RFC 9110, section 7.2).
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?", re.IGNORECASE)


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """ALLOWED_HOSTS, or by default localhost, 127.0.0.1 and the bound HOST; PUBLIC_URL's host always."""
    names = set(settings.allowed_hosts or (*DEFAULT_HOSTS, settings.host))
    if settings.public_url:
        names.add(urlsplit(settings.public_url).hostname)
    return frozenset(name.strip("[]").lower() for name in names)


def check_host(value: str, settings: Settings, header: str = "Host") -> None:
    """Refuse (400) a host that is malformed or not one of the allowed names; ports do not matter."""
    match = _HOST.fullmatch(value)
    if match is None:
        raise BadRequest(f"{header} is not a valid host name.", field=header, code="invalid_host")
    if match["name"].strip("[]").lower() not in allowed_hosts(settings):
        raise BadRequest(
            f"This service does not answer to the host named in {header}; see ALLOWED_HOSTS.",
            field=header,
            code="unknown_host",
        )


class GuardHosts:
    """400 for a request without a Host header, with several, or naming a host we do not serve."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            settings = settings_of(scope)
            headers = Headers(scope=scope)
            hosts = headers.getlist("host")
            if not hosts:
                raise BadRequest("Send a Host header naming this service.", field="Host", code="required")
            if len(hosts) > 1:
                raise BadRequest("Send one Host header, not several.", field="Host", code="duplicate_header")
            check_host(hosts[0], settings)
            forwarded = first_value(headers.get("x-forwarded-host"))
            if settings.trust_proxy and forwarded:
                check_host(forwarded, settings, "X-Forwarded-Host")
        await self.app(scope, receive, send)
