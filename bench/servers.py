"""Starting and stopping the two servers on loopback ports, and what /proc tells about their workers."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
OURS, BASELINE = "ours", "baseline"
# What each worker logs once it has loaded the app and serves.
PUBLIC_URL = "http://courses.bench.test"
READY = {OURS: "Application startup complete", BASELINE: "Worker ready"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def command(kind: str, port: int, workers: int, threads: int) -> list[str]:
    if kind == OURS:
        # The production way, as the README says: uvicorn through `course-api serve`.
        return [str(BIN / "course-api"), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    # gunicorn's default sync workers, as Flask's deployment docs show them; threads > 1 means gthread.
    # (gthread keeps each keep-alive connection on the worker that accepted it, and with wrk's fixed
    # connections one worker then got up to 80 % of the load, run after run.)
    worker_class = ["--worker-class=gthread", f"--threads={threads}"] if threads > 1 else []
    config = ROOT / "bench" / "baseline" / "gunicorn_conf.py"
    options = [f"--bind={HOST}:{port}", f"--workers={workers}", *worker_class, f"--chdir={ROOT}", f"--config={config}"]
    return [str(BIN / "gunicorn"), *options, "bench.baseline.app:create_app()"]


class Server:
    def __init__(self, kind: str, database_url: str, secret: str, log: Path, workers: int = 2, threads: int = 1):
        self.kind, self.log, self.workers = kind, log, workers
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.argv = command(kind, self.port, workers, threads)
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            # The same links from both servers, whatever their ports: the entity tags hash the answers.
            "PUBLIC_URL": PUBLIC_URL,
            "JWT_SECRET": secret,
            "JWT_LEEWAY": "10",
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.process.returncode}; see {self.log}")
            # Every worker must serve before load starts, or the first one gets all of wrk's connections.
            ready = self.log.read_text(errors="replace").count(READY[self.kind])
            if ready >= self.workers and self.answers() and len(self.worker_pids()) == self.workers:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.kind} server was not ready within 60 s; see {self.log}")

    def __exit__(self, *_exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def answers(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            connection.request("GET", "/api/v2/course/search/")
            return connection.getresponse().status == 401
        except OSError:
            return False
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        """The worker processes: the master's children, less multiprocessing's helper, if any."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and b"resource_tracker" not in cmdline:
                pids.append(int(entry.name))
        return sorted(pids)

    def peak_rss_mb(self) -> dict[int, float]:
        """The peak resident memory (VmHWM) of each worker."""
        result = {}
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            hwm_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
            result[pid] = round(hwm_kb / 1024, 1)
        return result

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time used so far by the master and by each worker."""
        return {pid: process_cpu_seconds(pid) for pid in (self.process.pid, *self.worker_pids())}

    def locked_count(self) -> int:
        return self.log.read_text(errors="replace").count("database is locked")


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent on anything but idling, summed over its cores."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
