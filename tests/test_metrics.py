"""GET /metrics (METRICS_ENABLED): off by default, then requests, latency, the pool and picture renderings."""

import base64
import dataclasses
import io

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from tests.support.http import API, course_url
from tests.support.tokens import auth


def png_data_url(side: int = 200) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (10, 120, 200)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def samples(client) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_of(found, operation, status) -> float:
    return found.get(("course_api_requests_total", (("operation", operation), ("status", status))), 0)


@pytest.fixture
def metered(app, settings):
    metered_app = create_app(dataclasses.replace(settings, metrics_enabled=True))
    yield metered_app
    metered_app.app.extensions["course_api.engine"].dispose()


class TestOff:
    def test_metrics_is_an_unknown_path(self, client):
        unknown = client.get("/not-metrics")
        for method in ("GET", "HEAD", "POST"):
            response = client.request(method, "/metrics")
            assert response.status_code == unknown.status_code == 404
            assert response.headers["content-type"] == unknown.headers["content-type"]
        assert client.get("/metrics").json()["errors"] == unknown.json()["errors"]


class TestOn:
    def test_counts_requests_by_operation_and_status(self, metered, make):
        course = make.course(make.user())
        with metered.test_client() as client:
            before = samples(client)
            for _ in range(3):
                assert client.get(course_url(course), headers=auth(course.created_by)).status_code == 200
            assert client.get(course_url(course)).status_code == 401
            assert client.get(f"{API}/nowhere/").status_code == 404
            after = samples(client)

        assert (
            requests_of(after, "getSpecificCourseInfo", "200") - requests_of(before, "getSpecificCourseInfo", "200")
            == 3
        )
        assert (
            requests_of(after, "getSpecificCourseInfo", "401") - requests_of(before, "getSpecificCourseInfo", "401")
            == 1
        )
        assert requests_of(after, "none", "404") - requests_of(before, "none", "404") == 1
        count = ("course_api_request_duration_seconds_count", (("operation", "getSpecificCourseInfo"),))
        assert after[count] - before.get(count, 0) == 4
        # 5 ms is the first bucket, 5 s the last before +Inf.
        buckets = [labels for name, labels in after if name == "course_api_request_duration_seconds_bucket"]
        assert {dict(labels)["le"] for labels in buckets} >= {"0.005", "5.0", "+Inf"}

    def test_shows_the_database_pool(self, metered):
        with metered.test_client() as client:
            found = samples(client)
        assert found[("course_api_db_pool_size", ())] >= metered.app.extensions["course_api.engine"].pool.size()
        assert found[("course_api_db_pool_checked_out", ())] >= 0

    def test_counts_and_times_picture_renderings(self, metered, make):
        course = make.course(make.user())
        rendered = ("course_api_picture_renderings_total", (("outcome", "rendered"),))
        refused = ("course_api_picture_renderings_total", (("outcome", "refused"),))
        timed = ("course_api_picture_rendering_seconds_count", ())
        with metered.test_client() as client:
            before = samples(client)
            ok = client.patch(
                course_url(course), json={"image_original": png_data_url()}, headers=auth(course.created_by)
            )
            bad = client.patch(
                course_url(course),
                json={"image_original": "data:image/png;base64," + base64.b64encode(b"not a png").decode()},
                headers=auth(course.created_by),
            )
            after = samples(client)
        assert ok.status_code == 200 and bad.status_code == 400
        assert after[rendered] - before.get(rendered, 0) == 1
        assert after[refused] - before.get(refused, 0) == 1
        assert after[timed] - before.get(timed, 0) == 2

    def test_answers_get_and_head_only(self, metered):
        with metered.test_client() as client:
            got, head, post = client.get("/metrics"), client.head("/metrics"), client.post("/metrics")
        assert got.headers["content-type"].startswith("text/plain")
        assert got.headers["cache-control"] == "no-store"
        assert head.status_code == 200 and head.content == b""
        assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
