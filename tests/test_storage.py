"""Both media stores behind one interface: the same suite runs on the local folder and on a real S3 server."""

import secrets

import pytest

from api.pictures.s3_storage import S3Storage
from api.pictures.storage import CHUNK_BYTES, LocalStorage, normal_prefix
from tests.support.seaweed import BUCKET

UNSAFE_KEYS = ["../outside", "course/../../x", "/etc/passwd", "course//x", "", ".", "course/./x", "a\\..\\b", "a\0b"]


def s3_store(seaweed, **options):
    """A store of its own in the shared bucket: a fresh prefix per test keeps tests apart."""
    return S3Storage(BUCKET, f"test-{secrets.token_hex(6)}", client=seaweed.client(), **options)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path)
    return s3_store(request.getfixturevalue("seaweed"))


class TestEveryStore:
    def test_what_is_put_is_got_back(self, store):
        store.put("course/1/a-96.webp", b"first")

        assert store.get("course/1/a-96.webp") == b"first"
        assert store.exists("course/1/a-96.webp")

    def test_a_second_put_replaces_the_content(self, store):
        store.put("course/1/a-96.webp", b"first")
        store.put("course/1/a-96.webp", b"second")

        assert store.get("course/1/a-96.webp") == b"second"

    def test_a_missing_key_is_none_and_does_not_exist(self, store):
        store.put("course/1/a-96.webp", b"x")

        assert store.get("course/1/b-96.webp") is None
        assert store.open("course/1/b-96.webp") is None
        assert not store.exists("course/1/b-96.webp")
        # A folder is not a file, on either store.
        assert store.get("course/1") is None and not store.exists("course/1")

    def test_open_streams_in_chunks_with_the_size_known_first(self, store):
        content = secrets.token_bytes(3 * CHUNK_BYTES + 5)
        store.put("course/1/big-1024.webp", content)

        opened = store.open("course/1/big-1024.webp")
        assert opened.size == len(content)
        chunks = list(opened.chunks)

        assert b"".join(chunks) == content
        assert len(chunks) >= 4 and max(map(len, chunks)) <= CHUNK_BYTES

    def test_an_empty_file_opens_with_no_bytes(self, store):
        store.put("course/1/empty-96.webp", b"")

        opened = store.open("course/1/empty-96.webp")

        assert opened.size == 0 and b"".join(opened.chunks) == b""

    def test_a_stream_dropped_half_way_can_be_opened_again(self, store):
        store.put("course/1/big-1024.webp", b"z" * (2 * CHUNK_BYTES))
        opened = store.open("course/1/big-1024.webp")
        next(opened.chunks)
        opened.chunks.close()

        assert store.get("course/1/big-1024.webp") == b"z" * (2 * CHUNK_BYTES)

    def test_delete_removes_and_a_missing_key_is_no_error(self, store):
        store.put("course/1/a-96.webp", b"x")

        store.delete("course/1/a-96.webp")
        store.delete("course/1/never-96.webp")

        assert not store.exists("course/1/a-96.webp") and store.get("course/1/a-96.webp") is None
        assert store.list("course/1") == []

    def test_list_names_the_files_of_one_folder_sorted(self, store):
        for key in ["course/1/b-96.webp", "course/1/a-96.webp", "course/12/c-96.webp", "course/1/x/deeper.webp"]:
            store.put(key, b"x")

        # Neither course/12 (a longer name with the same start) nor a folder below belongs to course/1.
        assert store.list("course/1") == ["course/1/a-96.webp", "course/1/b-96.webp"]
        assert store.list("course/1/") == ["course/1/a-96.webp", "course/1/b-96.webp"]
        assert store.list("course/12") == ["course/12/c-96.webp"]
        assert store.list("course/2") == []

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_keys_that_could_leave_the_store_are_refused(self, store, key):
        for call in (
            lambda: store.put(key, b"x"),
            lambda: store.get(key),
            lambda: store.open(key),
            lambda: store.exists(key),
            lambda: store.delete(key),
            lambda: store.list(key),
        ):
            with pytest.raises(ValueError):
                call()


class TestS3:
    def test_objects_live_under_the_prefix_of_the_store(self, seaweed):
        store = s3_store(seaweed)

        store.put("course/1/a-96.webp", b"x")

        assert seaweed.keys(store.prefix) == [f"{store.prefix}course/1/a-96.webp"]
        assert store.prefix.startswith("test-") and store.prefix.endswith("/")

    def test_stores_with_other_prefixes_do_not_see_each_other(self, seaweed):
        one, other = s3_store(seaweed), s3_store(seaweed)
        one.put("course/1/a-96.webp", b"one")

        assert other.list("course/1") == [] and other.get("course/1/a-96.webp") is None
        other.delete("course/1/a-96.webp")
        assert one.get("course/1/a-96.webp") == b"one"

    def test_a_store_without_a_prefix_uses_the_keys_as_they_are(self, seaweed):
        key = f"course/{secrets.randbelow(10**9) + 10**9}/a-96.webp"
        store = S3Storage(BUCKET, "", client=seaweed.client())

        store.put(key, b"x")
        try:
            assert seaweed.keys(key) == [key]
            assert store.list(key.rsplit("/", 1)[0]) == [key]
        finally:
            store.delete(key)

    def test_list_reads_every_page(self, seaweed):
        store = s3_store(seaweed, page_size=2)
        keys = [f"course/1/{n}-96.webp" for n in range(7)]
        for key in keys:
            store.put(key, b"x")

        assert store.list("course/1") == sorted(keys)

    def test_objects_carry_the_webp_type(self, seaweed):
        store = s3_store(seaweed)
        store.put("course/1/a-96.webp", b"x")

        head = seaweed.client().head_object(Bucket=BUCKET, Key=f"{store.prefix}course/1/a-96.webp")

        assert head["ContentType"] == "image/webp"

    def test_other_errors_than_a_missing_key_are_raised(self, seaweed):
        from botocore.exceptions import ClientError

        store = S3Storage("no-such-bucket-here", "", client=seaweed.client())

        with pytest.raises(ClientError):
            store.put("course/1/a-96.webp", b"x")
        with pytest.raises(ClientError):
            store.get("course/1/a-96.webp")
        with pytest.raises(ClientError):
            store.list("course/1")

    @pytest.mark.parametrize(
        "prefix, normal",
        [("", ""), ("/", ""), ("media", "media/"), ("/a/b/", "a/b/"), ("a/b", "a/b/")],
    )
    def test_prefixes_are_normalised(self, prefix, normal):
        assert normal_prefix(prefix) == normal

    @pytest.mark.parametrize("prefix", ["a/../b", "..", "a//b", "./a"])
    def test_prefixes_that_could_climb_are_refused(self, prefix):
        with pytest.raises(ValueError):
            normal_prefix(prefix)
