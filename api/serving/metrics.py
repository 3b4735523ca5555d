"""GET /metrics in Prometheus' text format, when METRICS_ENABLED=true: requests, latency, database pool, pictures.

Outside /api/v2 and outside the spec, like the documentation pages: it describes the service, it is
no operation of the API. Without the setting nothing here is installed, and /metrics is an unknown
path (404) like any other; prometheus_client is not even imported.

Every worker process counts into files of its own in PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode), and a scrape, whichever worker answers it, adds up the files of all of them.
`course-api serve` gives the workers that folder, empty, before any of them imports prometheus_client
(`multiprocess_folder`), and tells prometheus_client when a worker has died (`mark_dead`). Without
the variable (the tests' in-process apps) the metrics live in this process only.

The cost per request is a dictionary lookup for the label values (the operationId Connexion's routing
matched, read from the scope; the status), one counter increment and one histogram observation.
"""

import asyncio
import functools
import os
import shutil
import tempfile
import time

from connexion.middleware import MiddlewarePosition
from sqlalchemy import event
from starlette.exceptions import HTTPException

from api.pictures import images
from api.serving.upstream import ROUTING

PATH = "/metrics"
METHODS = ("GET", "HEAD")
FOLDER = "PROMETHEUS_MULTIPROC_DIR"
# The label of requests that matched no operation: unknown paths, the documentation, /metrics itself.
NO_OPERATION = "none"
# From a cached read (a few ms) to the slowest write worth telling apart.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Decoding and rendering a picture takes from tens of milliseconds to a few seconds.
RENDERING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics, one set per process (prometheus_client registers each name once)."""

    def __init__(self):
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(
            "course_api_requests",
            "Requests answered, by operationId (none: no operation matched) and status code.",
            ("operation", "status"),
        )
        self.latency = Histogram(
            "course_api_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by operationId.",
            ("operation",),
            buckets=LATENCY_BUCKETS,
        )
        # livesum: the sum over the workers alive, a dead worker's value is dropped.
        self.pool_checked_out = Gauge(
            "course_api_db_pool_checked_out",
            "Database connections in use, over the live worker processes.",
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "course_api_db_pool_size",
            "Database connections each pool keeps open, added up over the live worker processes.",
            multiprocess_mode="livesum",
        )
        self.renderings = Counter(
            "course_api_picture_renderings",
            "Uploaded course pictures decoded and rendered (rendered) or found unreadable (refused).",
            ("outcome",),
        )
        self.rendering_seconds = Histogram(
            "course_api_picture_rendering_seconds",
            "Time to decode an upload and render its four renditions.",
            buckets=RENDERING_BUCKETS,
        )
        # Label children by their values, so a request costs one dictionary lookup.
        self._counted: dict[tuple[str, int], object] = {}
        self._timed: dict[str, object] = {}

    def observe(self, operation: str, status: int, seconds: float) -> None:
        counter = self._counted.get((operation, status))
        if counter is None:
            counter = self._counted[(operation, status)] = self.requests.labels(operation, str(status))
        histogram = self._timed.get(operation)
        if histogram is None:
            histogram = self._timed[operation] = self.latency.labels(operation)
        counter.inc()
        histogram.observe(seconds)

    def rendered(self, seconds: float, ok: bool) -> None:
        self.renderings.labels("rendered" if ok else "refused").inc()
        self.rendering_seconds.observe(seconds)

    def watch_pool(self, engine) -> None:
        self.pool_size.inc(engine.pool.size())
        event.listen(engine.pool, "checkout", lambda *_: self.pool_checked_out.inc())
        event.listen(engine.pool, "checkin", lambda *_: self.pool_checked_out.dec())


@functools.cache
def metrics() -> Metrics:
    return Metrics()


def install(app, engine) -> None:
    """Count every request, watch the engine's pool and the picture renderings (MetricsPage answers GET /metrics)."""
    found = metrics()
    found.watch_pool(engine)
    if found.rendered not in images.RENDERING_OBSERVERS:
        images.RENDERING_OBSERVERS.append(found.rendered)
    # Outside the error handlers, so that every answer is counted with the status it went out with.
    app.add_middleware(RequestMetrics, position=MiddlewarePosition.BEFORE_EXCEPTION)


class RequestMetrics:
    """Counts and times every request, by the operation routing matched and the status it got."""

    def __init__(self, app):
        self.app = app
        self.metrics = metrics()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Routing writes the operation into this dict: the scope's copies further in all share it.
        extensions = scope.setdefault("extensions", {})
        status = 500  # what the server error middleware answers when an exception gets past us

        async def send_noting_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            operation = extensions.get(ROUTING, {}).get("operation_id") or NO_OPERATION
            self.metrics.observe(operation, status, time.perf_counter() - started)


class MetricsPage:
    """GET and HEAD of /metrics: every worker's metrics, in Prometheus' text format."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in METHODS:
            raise HTTPException(405, headers={"Allow": ", ".join(METHODS)})
        # Reading every worker's files is file work: not in the event loop.
        content_type, body = await asyncio.get_running_loop().run_in_executor(None, exposition)
        headers = [
            (b"content-type", content_type.encode()),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def exposition() -> tuple[str, bytes]:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if not os.environ.get(FOLDER):
        return CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return CONTENT_TYPE_LATEST, generate_latest(registry)


def multiprocess_folder() -> str | None:
    """Give this process and the workers it starts an empty PROMETHEUS_MULTIPROC_DIR; returns a folder made here.

    The operator's folder, if they set the variable, is emptied of the files of earlier runs (their
    counts would be added to ours); otherwise a private temporary folder is made, for the caller to
    remove at exit. Call it before anything imports prometheus_client.
    """
    given = os.environ.get(FOLDER)
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.remove(os.path.join(given, name))
        return None
    folder = tempfile.mkdtemp(prefix="course-api-metrics-")
    os.environ[FOLDER] = folder
    return folder


def remove_folder(folder: str | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def mark_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters stay counted)."""
    if os.environ.get(FOLDER):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
