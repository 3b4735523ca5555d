"""The spec as written, its $refs kept, at /api/v2/openapi.json and /api/v2/openapi.yaml.

Connexion serves the document it validates with, in which every $ref is expanded in place, so a
client generator reading it makes a model of every use of a schema (openapi-python-client: 537
models instead of 42). These answers come first, inside the guards, so Connexion's never do.
"""

import json

import yaml

from api.urls import BASE_PATH

FORMATS = {f"{BASE_PATH}/openapi.json": "application/json", f"{BASE_PATH}/openapi.yaml": "text/yaml; charset=utf-8"}
METHODS = ("GET", "HEAD")


class SpecDocument:
    def __init__(self, app, spec: dict):
        self.app = app
        self.spec = spec
        self.bodies: dict[tuple[str, str], bytes] = {}

    def body(self, path: str, root_path: str) -> bytes:
        # As Connexion does, `servers` names the prefix the service is mounted under; that prefix is
        # the server's setting, not the client's, so there are as many bodies as the process has prefixes.
        key = (path, root_path)
        if key not in self.bodies:
            document = {**self.spec, "servers": [{"url": root_path.rstrip("/") + BASE_PATH}]}
            if path.endswith(".json"):
                self.bodies[key] = json.dumps(document, ensure_ascii=False).encode()
            else:
                self.bodies[key] = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()
        return self.bodies[key]

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path not in FORMATS or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        body = self.body(path, scope.get("root_path", ""))
        headers = [
            (b"content-type", FORMATS[path].encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-cache"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
