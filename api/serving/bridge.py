"""Running the Flask app under the ASGI server with one thread hop per request."""

import asyncio
import contextvars
import io
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ

from api.config import ASGI_SCOPE
from api.serving.middleware import BODY_METHODS, receive_body


class BufferedWSGI:
    """ASGI to WSGI for an app whose requests and answers fit in memory, as ours do.

    Connexion's default bridge (a2wsgi) streams both ways: the worker thread waits for the event
    loop on every read of the body and every message it sends, three or more round trips per request,
    and they were most of our latency tail. Here the body is read first (GuardBodies bounds it), the
    app runs in a thread with nothing to wait for, and its whole answer is sent afterwards.
    """

    def __init__(self, app, threads: int):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="flask")

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await self._serve(scope, receive, send)
        elif scope["type"] == "lifespan":
            # Nothing to start or stop: acknowledge both.
            for done in ("lifespan.startup.complete", "lifespan.shutdown.complete"):
                await receive()
                await send({"type": done})
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _serve(self, scope, receive, send):
        # GuardBodies has bounded the bodies of the methods that may take one (DELETE among them).
        # No operation reads the body of another method (api.serving.prepared refuses one), and
        # requests for no operation (an unknown path) get here too: such a body is left unread,
        # whatever its size.
        body = await receive_body(receive) if scope["method"] in BODY_METHODS else b""
        environ = build_environ(scope, io.BytesIO(body))
        # The environ joins the lines of a repeated header into one value; the scope keeps each line.
        environ[ASGI_SCOPE] = scope
        # Connexion keeps the request's context in context variables; the thread must see them.
        run = contextvars.copy_context().run
        status, headers, content = await asyncio.get_running_loop().run_in_executor(
            self.executor, run, self._respond, environ
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _respond(self, environ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        started = {}
        chunks = []

        def start_response(status, headers, exc_info=None):
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [(name.lower().encode("latin1"), value.encode("latin1")) for name, value in headers]
            return chunks.append

        iterable = self.app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()
        return started["status"], started["headers"], b"".join(chunks)
