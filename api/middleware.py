"""ASGI guards that run before Connexion reads a request."""

from starlette.datastructures import Headers

from api.errors import ApiProblem

BODY_METHODS = {"POST", "PUT", "PATCH"}


class UnsupportedMediaType(ApiProblem):
    status = 415
    code = "unsupported_media_type"


class RequireContentType:
    """A body without a Content-Type is refused rather than guessed.

    Connexion would validate such a body as JSON while Flask hands the handler raw bytes; refusing
    it keeps both sides in agreement and tells the client what to send.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in BODY_METHODS:
            headers = Headers(scope=scope)
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            if has_body and not headers.get("content-type"):
                raise UnsupportedMediaType(
                    "Say what the body is: send Content-Type application/json or application/x-www-form-urlencoded."
                )
        await self.app(scope, receive, send)
