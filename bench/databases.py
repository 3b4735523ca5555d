"""Where the benchmark's databases live: SQLite files in build/bench/work, or a throwaway PostgreSQL server.

Every run starts from a copy of a seeded template, so no run sees what an earlier one wrote. A copy
is a file copy on SQLite and `CREATE DATABASE ... TEMPLATE` on PostgreSQL (a file-level copy too,
made by the server). The PostgreSQL server is started the way the tests start theirs
(tests/support/postgres.py: initdb into a temporary folder, loopback only, `fsync=off`), and its CPU
time is read from /proc so that it counts as the database's, not as other work on the machine.
"""

import os
import shutil
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.postgres import TemporaryPostgres, find_pg_bin

SQLITE, POSTGRESQL = "sqlite", "postgresql"


class SqliteFiles:
    kind = SQLITE

    def __init__(self, folder: Path):
        self.folder = folder

    def new(self, name: str) -> str:
        path = self.folder / f"{name}.db"
        self._remove(path)
        return f"sqlite:///{path}"

    def copy(self, template: str, name: str) -> str:
        url = self.new(name)
        shutil.copyfile(make_url(template).database, make_url(url).database)
        return url

    def drop(self, url: str) -> None:
        self._remove(Path(make_url(url).database))

    @staticmethod
    def _remove(path: Path) -> None:
        # With a new main file, an old WAL would corrupt the database.
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)

    def cpu_seconds(self) -> float:
        return 0.0  # SQLite runs inside the servers' own processes

    def close(self) -> None:
        for path in self.folder.glob("*.db*"):
            path.unlink()


class PostgresServer:
    kind = POSTGRESQL

    def __init__(self):
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise SystemExit("DATABASE=postgresql needs PostgreSQL's server binaries (pg_ctl, initdb) here")
        self.server = TemporaryPostgres(bin_dir).start()

    def new(self, name: str) -> str:
        return self.server.create_database(name)

    def copy(self, template: str, name: str) -> str:
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
        return self.server.url(name)

    def drop(self, url: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.server.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(statement)

    def cpu_seconds(self) -> float:
        """CPU time of the postmaster and all its processes (backends, checkpointer, autovacuum...)."""
        postmaster = int((self.server.data / "postmaster.pid").read_text().split("\n", 1)[0])
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry.name) == postmaster or int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def close(self) -> None:
        self.server.cleanup()


def open_databases(kind: str, folder: Path) -> SqliteFiles | PostgresServer:
    return PostgresServer() if kind == POSTGRESQL else SqliteFiles(folder)
