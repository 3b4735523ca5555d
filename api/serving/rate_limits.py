"""Rate limits per user (or client address) and class of operation: RATE_LIMIT_READS, _WRITES, _PICTURES.

Installed only when at least one limit is set: without one, no request pays anything, not even a
query. It runs after Connexion's routing and security, so it knows the operation and the token's
user, and before request validation, so a malformed request counts as much as a good one (401
answers are not counted: they name no user and cost one signature check). The counting itself
(api/rules/rate_limits.py) is a database statement, run in a thread of its own so the event loop
never waits for the database.

The answer follows draft-ietf-httpapi-ratelimit-headers-09: every answer of a limited class carries
`RateLimit-Policy: "<class>";q=<quota>;w=<window seconds>` and `RateLimit: "<class>";r=<remaining>;t=<seconds
to the window's end>`; past the quota the answer is a 429 problem (`throttled`) with `Retry-After` too.
"""

import asyncio
import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor

from starlette.datastructures import MutableHeaders

from api.config import RATE_LIMIT_CLASSES, Settings
from api.errors import TooManyRequests
from api.rules.rate_limits import Limiter, Verdict
from api.serving.upstream import CONTEXT, ROUTING

# The spec marks the operations that may carry a picture to render with this extension; the others
# are `reads` (GET, and HEAD with it) or `writes` (every other method).
CLASS_EXTENSION = "x-rate-limit-class"
READ_METHODS = ("get",)


def operation_classes(spec: dict) -> dict[str, str]:
    """The class of each operationId of the spec."""
    classes = {}
    for item in spec["paths"].values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                default = "reads" if method in READ_METHODS else "writes"
                bucket = operation.get(CLASS_EXTENSION, default)
                if bucket not in RATE_LIMIT_CLASSES:
                    raise ValueError(f"{operation['operationId']}: {CLASS_EXTENSION} {bucket!r} is no class")
                classes[operation["operationId"]] = bucket
    return classes


def subject_of(scope) -> str:
    """Whom a request counts against: the token's user, else the client's address.

    The address is the peer's, as the server saw it; with TRUST_PROXY uvicorn has already replaced it
    with the proxy's X-Forwarded-For (api/cli.py), which is only safe behind a proxy that overwrites
    that header. An IPv6 client is counted by its /64 network, which one host usually holds whole.
    """
    user = scope.get("extensions", {}).get(CONTEXT, {}).get("user")
    if user is not None:
        return f"user:{user}"
    client = scope.get("client")
    address = client[0] if client else "unknown"
    if ":" in address:
        try:
            address = str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address) + "/64"
        except ValueError:
            pass
    return f"address:{address}"


def headers_of(verdict: Verdict) -> dict[str, str]:
    name = f'"{verdict.bucket}"'
    return {
        "RateLimit-Policy": f"{name};q={verdict.limit.quota};w={verdict.limit.window}",
        "RateLimit": f"{name};r={verdict.remaining};t={verdict.reset}",
    }


class RateLimits:
    """Counts each request of a limited class, answers 429 past the quota, and adds the RateLimit fields."""

    def __init__(self, app, *, limiter: Limiter, classes: dict[str, str], threads: int):
        self.app = app
        self.limiter = limiter
        self.classes = classes
        # Its own few threads: the handlers' pool stays theirs, and the database pool has room for both.
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rate-limit")

    async def __call__(self, scope, receive, send):
        bucket = self.classes.get(scope.get("extensions", {}).get(ROUTING, {}).get("operation_id"))
        if bucket not in self.limiter.limits:
            await self.app(scope, receive, send)
            return
        verdict = await asyncio.get_running_loop().run_in_executor(
            self.executor, self.limiter.count, bucket, subject_of(scope), time.time()
        )
        headers = headers_of(verdict)
        if not verdict.allowed:
            raise TooManyRequests(
                f"Too many {bucket} requests: at most {verdict.limit.quota} every {verdict.limit.window} seconds. "
                f"Try again in {verdict.reset} seconds.",
                headers={**headers, "Retry-After": str(verdict.reset)},
            )

        async def send_with_limits(message):
            if message["type"] == "http.response.start":
                fields = MutableHeaders(scope=message)
                for name, value in headers.items():
                    fields[name] = value
            await send(message)

        await self.app(scope, receive, send_with_limits)


def rate_limits(settings: Settings, engine, spec: dict):
    """The middleware's options when a limit is set, else None (nothing is installed)."""
    limits = settings.rate_limits()
    if not limits:
        return None
    return {"limiter": Limiter(engine, limits), "classes": operation_classes(spec), "threads": settings.threads}
