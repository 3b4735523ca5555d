"""The absolute URLs this API hands out (pagination links, pictures, `Location` of 201s and redirects).

Redirects are rewritten to start with `origin` by an ASGI middleware, api/serving/redirects.py.
"""

from flask import request

from api.config import Settings, current_settings

BASE_PATH = "/api/v2"


def origin(settings: Settings, scheme: str, host: str, headers) -> str:
    """`scheme://host` (PUBLIC_URL may add a path) that clients reach us at: every link starts with it.

    PUBLIC_URL, when set, decides alone. Otherwise the request's Host does, which api.serving.hosts has
    checked against ALLOWED_HOSTS. Behind a proxy the request we see is the proxy's; its
    X-Forwarded-Proto/-Host headers are only believed when TRUST_PROXY says a proxy that sets them
    stands in front, since any client can send them (api.serving.hosts checks that host too).
    """
    if settings.public_url:
        return settings.public_url
    direct = scheme
    if settings.trust_proxy:
        scheme = first_value(headers.get("x-forwarded-proto")) or scheme
        host = first_value(headers.get("x-forwarded-host")) or host
    if scheme not in ("http", "https"):
        scheme = direct
    return f"{scheme}://{host}"


def public_origin() -> str:
    """The origin of the links of the Flask request being handled."""
    return origin(current_settings(), request.scheme, request.host, request.headers)


def api_url(path: str) -> str:
    return f"{public_origin()}{BASE_PATH}{path}"


def located(path: str) -> dict:
    """The `Location` header of a 201 whose new resource lives at `path` (under BASE_PATH)."""
    return {"Location": api_url(path)}


def first_value(value: str | None) -> str:
    # Each proxy on the way appends its own value; the first is what the client sent to the outermost.
    return (value or "").split(",", 1)[0].strip()
