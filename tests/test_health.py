"""Liveness and readiness: what each asks of the database and the media store, and how they answer."""

import time

import pytest
from sqlalchemy.exc import OperationalError

from api import health
from api.pictures.s3_storage import S3Storage
from api.pictures.storage import LocalStorage, StoreUnavailable
from tests.support.http import API, problem
from tests.support.ports import free_port
from tests.support.seaweed import BUCKET

LIVE = f"{API}/health/live/"
READY = f"{API}/health/ready/"
READY_BODY = {"status": "ok", "database": "ok", "media": "ok"}


class _DownDatabase:
    def execute(self, *_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("the database is down"))


class _DownStore:
    def check(self):
        raise StoreUnavailable("the bucket does not answer")


@pytest.fixture
def database_down(monkeypatch):
    monkeypatch.setattr(health.database, "session", _DownDatabase)


@pytest.fixture
def store_down(app, monkeypatch):
    monkeypatch.setitem(app.app.extensions, "course_api.media", _DownStore())


class TestLiveness:
    def test_answers_ok_without_a_token(self, client):
        response = client.get(LIVE, headers={"Authorization": "Bearer garbage"})

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"status": "ok"}

    def test_asks_nothing_of_the_database_or_the_store(self, client, database_down, store_down):
        assert client.get(LIVE).json() == {"status": "ok"}

    def test_refuses_parameters(self, client):
        problem(client.get(LIVE, params={"verbose": "1"}), 400)


class TestReadiness:
    @pytest.mark.parametrize("path", [READY, f"{API}/health/"])
    def test_ok_when_the_database_and_the_store_answer(self, client, path):
        response = client.get(path)

        assert response.status_code == 200
        assert response.json() == READY_BODY

    @pytest.mark.parametrize("path", [READY, f"{API}/health/"])
    def test_503_when_the_database_is_down(self, client, database_down, path):
        response = client.get(path)

        body = problem(response, 503)
        assert response.headers["Retry-After"] == "5"
        assert "database" in body["detail"]

    @pytest.mark.parametrize("path", [READY, f"{API}/health/"])
    def test_503_when_the_store_is_down(self, client, store_down, path):
        response = client.get(path)

        body = problem(response, 503)
        assert response.headers["Retry-After"] == "5"
        assert body["detail"] == "The media store is not reachable; try again shortly."


class TestLocalStore:
    def test_a_writable_folder_is_ready(self, tmp_path):
        LocalStorage(tmp_path).check()

    def test_a_folder_still_to_be_made_is_ready(self, tmp_path):
        LocalStorage(tmp_path / "not" / "yet").check()

    def test_a_file_in_place_of_the_folder_is_not(self, tmp_path):
        (tmp_path / "media").write_text("in the way")

        for root in (tmp_path / "media", tmp_path / "media" / "below"):
            with pytest.raises(StoreUnavailable):
                LocalStorage(root).check()


class TestS3Store:
    def test_an_existing_bucket_is_ready(self, seaweed):
        S3Storage(BUCKET, client=seaweed.client()).check()

    def test_a_missing_bucket_is_not(self, seaweed):
        with pytest.raises(StoreUnavailable):
            S3Storage("no-such-bucket", client=seaweed.client()).check()

    def test_an_endpoint_nobody_listens_on_is_not_ready_at_once(self, seaweed, monkeypatch):
        for name, value in seaweed.credentials().items():
            monkeypatch.setenv(name, value)
        store = S3Storage(BUCKET, endpoint_url=f"http://127.0.0.1:{free_port()}")
        started = time.monotonic()

        with pytest.raises(StoreUnavailable):
            store.check()

        assert time.monotonic() - started < 5
