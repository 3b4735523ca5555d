"""`course-api serve --workers N`: one listening socket per worker, and a service that fails as a whole."""

import os
import signal
import time
from pathlib import Path

import pytest

from api.serving import workers
from tests.support.live import live_service, run_serve
from tests.support.ports import free_port

LISTEN = "0A"  # the state column of /proc/net/tcp


def listening_sockets(port: int) -> int:
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == LISTEN)


def workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass  # the process ended meanwhile
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.fixture
def service(tmp_path):
    # One database per test: on PostgreSQL the name is the database's.
    with live_service(f"workers_{tmp_path.name}", tmp_path, [{"username": "ada"}], workers=3) as (server, _engine):
        yield server


pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")


def test_every_worker_listens_on_a_socket_of_its_own(service):
    # uvicorn's own workers would share one socket: the kernel would list it once.
    assert listening_sockets(service.port) == 3


def test_a_second_copy_on_the_same_port_is_refused(service):
    second = run_serve("--host", "127.0.0.1", "--port", str(service.port), "--workers", "2", env=service.env)
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{service.port}: Address already in use" in second.stderr
    assert listening_sockets(service.port) == 3


def test_a_worker_that_dies_stops_the_service(service):
    workers = [pid for pid in workers_of(service.process.pid) if b"resource_tracker" not in _cmdline(pid)]
    assert len(workers) == 3
    os.kill(workers[0], signal.SIGKILL)
    assert service.process.wait(timeout=40) == 128 + signal.SIGKILL
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers[1:]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers[1:])
    assert listening_sockets(service.port) == 0


def test_several_workers_need_a_fixed_port(tmp_path):
    env = {**os.environ, "PORT": "0", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite", "JWT_SECRET": "x" * 40}
    run = run_serve("--workers", "2", env=env)
    assert run.returncode == 1
    assert "several workers need a fixed --port" in run.stderr


def test_worker_sockets_share_a_port_that_a_plain_socket_cannot_take():
    port = free_port()
    first, second = workers._listen("127.0.0.1", port), workers._listen("127.0.0.1", port)
    try:
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
        with pytest.raises(SystemExit, match="Address already in use"):
            workers.check_free("127.0.0.1", port)
    finally:
        first.close()
        second.close()
    workers.check_free("127.0.0.1", port)
