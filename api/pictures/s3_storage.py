"""The media store on any S3-compatible object store (AWS S3, SeaweedFS, MinIO, ...), through boto3.

Keys map to object keys under an optional prefix, so one bucket can hold several deployments. An
object appears under its key whole or not at all (a PutObject is atomic on S3), which is what
course_pictures needs to upload before it commits.
"""

from collections.abc import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from api.pictures.storage import CHUNK_BYTES, Opened, StoreUnavailable, check_key, normal_prefix

# A readiness probe has a second or two (Kubernetes' timeoutSeconds defaults to 1): its HeadBucket gives up
# after that, once, where uploads wait and retry.
PROBE = Config(s3={"addressing_style": "path"}, connect_timeout=2, read_timeout=2, retries={"max_attempts": 1})
# The error codes S3 servers send for a key or bucket that is not there (HEAD answers carry only the status).
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """Objects of one bucket, under `prefix`.

    Credentials and region come from boto3's own sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION, its config files, an instance role); `client` lets a caller bring its own.
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client=None, page_size=1000):
        self.bucket = bucket
        self.page_size = page_size
        self.prefix = normal_prefix(prefix)
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            # Path-style addressing works with every S3-compatible server; virtual hosts need DNS per bucket.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
        )
        self.probe = client or boto3.client("s3", endpoint_url=endpoint_url or None, config=PROBE)

    def check(self) -> None:
        try:
            self.probe.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise StoreUnavailable(f"bucket {self.bucket}: {error}") from error

    def object_key(self, key: str) -> str:
        check_key(key)
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=_content_type(key))

    def get(self, key: str) -> bytes | None:
        opened = self.open(key)
        return None if opened is None else b"".join(opened.chunks)

    def open(self, key: str) -> Opened | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return Opened(answer["ContentLength"], _chunks_of(answer["Body"]))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        # S3 answers 204 for a key that is not there, like unlink(missing_ok=True).
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def list(self, prefix: str) -> list[str]:
        """Every key directly in the folder `prefix`, as LocalStorage lists it (not the folders below)."""
        folder = self.object_key(prefix.rstrip("/")) + "/"
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=folder, Delimiter="/", PaginationConfig={"PageSize": self.page_size}
        ):
            # A key ending in `/` is a folder marker (SeaweedFS lists the emptied folder so; S3 consoles make them).
            keys.extend(
                item["Key"].removeprefix(self.prefix)
                for item in page.get("Contents", ())
                if not item["Key"].endswith("/")
            )
        return sorted(keys)


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _MISSING


def _content_type(key: str) -> str:
    # Served straight from the bucket (MEDIA_S3_PUBLIC_URL), an object's type is the one stored with it.
    return "image/webp" if key.endswith(".webp") else "application/octet-stream"


def _chunks_of(body) -> Iterator[bytes]:
    # Closing returns the connection to boto3's pool even when the client went away mid-answer.
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
