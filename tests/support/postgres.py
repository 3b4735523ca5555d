"""A throwaway PostgreSQL server for the test run: initdb into a temporary folder, loopback only."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.ports import free_port

PG_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]


def find_pg_bin() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    return next((d for d in PG_BIN_DIRS if (d / "pg_ctl").exists()), None)


class TemporaryPostgres:
    """PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user."""

    def __init__(self, bin_dir: Path, durable: bool = False):
        """`durable` keeps every acknowledged commit across a crash of the server process."""
        self.bin_dir = bin_dir
        self.durable = durable
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="course-api-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, text=True)

    def start(self) -> "TemporaryPostgres":
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
        initdb = self.bin_dir / "initdb"
        self._run(str(initdb), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--locale=C", "-E", "UTF8")
        self.restart()
        return self

    def restart(self) -> None:
        # fsync=off trusts the OS page cache, which outlives a killed server; asynchronous commit
        # does not, so a durable server commits synchronously.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root}"
            f" -c fsync=off -c full_page_writes=off -c max_connections=200"
            f" -c synchronous_commit={'on' if self.durable else 'off'}"
        )
        pg_ctl = self.bin_dir / "pg_ctl"
        self._run(str(pg_ctl), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the way a crash would: no checkpoint, connections cut."""
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
                ) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
