"""Where media files live: a small interface, and the local-filesystem store behind it by default.

Keys are relative slash-separated paths (`course/5/3fa9…-512.webp`). Another backend (the S3 store
in api/pictures/s3_storage.py) only has to offer the same methods.
"""

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

TEMP_PREFIX = ".tmp-"
# Big enough that a rendition goes in a few reads, small enough that a worker never holds much of one.
CHUNK_BYTES = 64 * 1024


@dataclass
class Opened:
    """A stored file being read: its size, known before the first byte (for Content-Length), and its bytes."""

    size: int
    chunks: Iterator[bytes]


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def open(self, key: str) -> Opened | None: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def list(self, prefix: str) -> list[str]: ...
    def check(self) -> None:
        """Raise StoreUnavailable unless the store can be used now, cheaply (a readiness probe calls it)."""


class StoreUnavailable(Exception):
    """The media store cannot be used: a folder we cannot write, a bucket that does not answer."""


def check_key(key: str) -> list[str]:
    """The parts of a key; a key that could name something outside its store (`..`, `/x`, `a//b`) raises."""
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") for part in parts) or "\\" in key or "\0" in key:
        raise ValueError(f"not a media key: {key!r}")
    return parts


def normal_prefix(prefix: str) -> str:
    """`a/b`, `/a/b/` and `a/b/` are the same prefix of object keys, `a/b/`; empty is none."""
    prefix = prefix.strip("/")
    if not prefix:
        return ""
    check_key(prefix)
    return prefix + "/"


class LocalStorage:
    """Files under one root directory."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))

    def check(self) -> None:
        # The root is made by the first upload: until then, its nearest existing folder must let us make it.
        folder = next(path for path in (self.root, *self.root.parents) if path.exists())
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise StoreUnavailable(f"{folder} is not a folder this process may write in")

    def put(self, key: str, data: bytes) -> None:
        """Write the whole file or nothing: readers and a crash never see half of it under its name."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def open(self, key: str) -> Opened | None:
        path = self._path(key)
        try:
            file = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        size = os.fstat(file.fileno()).st_size
        return Opened(size, _chunks_of(file))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        """Every key in the folder `prefix`, leftovers of interrupted writes included."""
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        return sorted(f"{prefix.rstrip('/')}/{entry.name}" for entry in folder.iterdir() if entry.is_file())


def _chunks_of(file) -> Iterator[bytes]:
    # The file stays open until the answer is sent or dropped: the server closes the iterator either way.
    with file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
