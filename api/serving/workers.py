"""Several uvicorn worker processes, each listening on a socket of its own.

uvicorn's own workers share one listening socket, and the worker that wakes first accepts every
connection then waiting. Clients that keep a few connections open for long (a proxy's keep-alive
pool, a load generator) can so end up all on one worker while the others idle: `make bench` saw one
worker serve all 16 connections at half the throughput. Here every worker binds the address with
SO_REUSEPORT, and the kernel spreads new connections over the workers' sockets.

The supervisor restarts nothing: when a worker exits, it stops the others and exits with that
worker's code, so the process manager (systemd, a container runtime) restarts the whole service.
"""

import logging
import multiprocessing
import signal
import socket
import threading

import uvicorn

from api.serving.metrics import mark_dead

logger = logging.getLogger("uvicorn.error")
BACKLOG = 2048  # uvicorn's default


def _address(host: str, port: int) -> tuple:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = found[0]
    return family, kind, proto, address


def check_free(host: str, port: int) -> None:
    """Fail like a single socket would when the address is taken, also by another copy of this service.

    SO_REUSEPORT would otherwise let a second copy share the port silently. This probe does not ask
    for it, so any socket already on the port makes it fail.
    """
    family, kind, proto, address = _address(host, port)
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise SystemExit(f"course-api: cannot listen on {host}:{port}: {exc.strerror}")


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, address = _address(host, port)
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(BACKLOG)
    return sock


def _work(host: str, port: int, options: dict) -> None:
    sock = _listen(host, port)
    uvicorn.Server(uvicorn.Config(**options, backlog=BACKLOG)).run(sockets=[sock])


def run(workers: int, host: str, port: int, options: dict) -> int:
    """Serve `options` (uvicorn.Config's arguments) with `workers` processes until a signal or a worker's exit."""
    if port == 0:
        raise SystemExit("course-api: several workers need a fixed --port (0 would give each worker its own)")
    uvicorn.Config(**options)  # sets up uvicorn's logging in this process too
    check_free(host, port)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_work, args=(host, port, options), daemon=False) for _ in range(workers)]
    for process in processes:
        process.start()
    logger.info("Serving on %s:%s with %d workers, one socket each (SO_REUSEPORT)", host, port, workers)
    exited = None
    while exited is None and not stopping.wait(0.5):
        exited = next((process for process in processes if not process.is_alive()), None)
    if exited is not None:
        logger.error("Worker %s exited with code %s; stopping the others", exited.pid, exited.exitcode)
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in progress
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
        mark_dead(process.pid)
    if exited is None:
        return 0
    # A worker killed by a signal reports minus its number; shells say 128 + the number.
    return 128 - exited.exitcode if exited.exitcode < 0 else exited.exitcode or 1
