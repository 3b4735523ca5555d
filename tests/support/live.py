"""The service the production way (`course-api serve`, uvicorn, several workers) on a loopback port."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.database import make_engine
from models import Category, User
from tests.support.databases import new_database_url
from tests.support.ports import free_port
from tests.support.tokens import SECRET

ROOT = Path(__file__).resolve().parents[2]  # the project, where `course-api serve` runs
SERVE = [sys.executable, "-m", "api.cli", "serve"]


def run_serve(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """`course-api serve ARGS` run to its end, its output captured as text: for start-ups that must be refused."""
    return subprocess.run([*SERVE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


class LiveServer:
    def __init__(
        self,
        database_url: str,
        secret: str,
        workers: int = 2,
        log: Path | None = None,
        settings: Mapping[str, str] | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v2"
        self.media_root = Path(tempfile.mkdtemp(prefix="media-"))
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "JWT_SECRET": secret,
            "JWT_LEEWAY": "10",
            "MEDIA_ROOT": str(self.media_root),
            **(settings or {}),
        }
        self.workers = workers
        self.log = log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "LiveServer":
        output = open(self.log, "wb") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [*SERVE, "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        if self.log:
            output.close()  # the server writes to its own copy
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health/", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the server did not become healthy within 60 s")

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def live_service(
    name: str,
    folder: Path,
    users: list[dict],
    workers: int = 2,
    categories: Sequence[dict] = (),
    settings: Mapping[str, str] | None = None,
):
    """A fresh migrated database of the backend under test with these users (and categories), served live.

    `settings` are environment variables of the service on top of the test run's (CORS_ALLOWED_ORIGINS...).
    Yields the server and an engine on its database, for checks behind the API's back.
    """
    url = new_database_url(name, folder)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(User), [{"real_name": ""} | user for user in users])
    if categories:
        with Session(engine) as session:  # the model computes a category's name key
            session.add_all(Category(**fields) for fields in categories)
            session.commit()
    try:
        with LiveServer(url, SECRET, workers=workers, log=folder / "server.log", settings=settings) as server:
            yield server, engine
    finally:
        engine.dispose()
