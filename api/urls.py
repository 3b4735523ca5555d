"""The absolute URLs this API hands out (pagination links, pictures)."""

from flask import current_app, request

BASE_PATH = "/api/v2"


def public_origin() -> str:
    """`scheme://host` as the client reached us.

    Behind a proxy the request we see is the proxy's; its X-Forwarded-Proto/-Host headers are only
    believed when TRUST_PROXY says a proxy that sets them stands in front, since any client can send them.
    """
    scheme, host = request.scheme, request.host
    if current_app.config["SETTINGS"].trust_proxy:
        scheme = _first(request.headers.get("X-Forwarded-Proto")) or scheme
        host = _first(request.headers.get("X-Forwarded-Host")) or host
    if scheme not in ("http", "https"):
        scheme = request.scheme
    return f"{scheme}://{host}"


def api_url(path: str) -> str:
    return f"{public_origin()}{BASE_PATH}{path}"


def _first(value: str | None) -> str:
    # Each proxy on the way appends its own value; the first is what the client sent to the outermost.
    return (value or "").split(",", 1)[0].strip()
