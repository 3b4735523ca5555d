"""The worst requests of each hostile class never stall a worker: health stays quick throughout.

Request validation runs in the worker's event loop, so one slow validation would delay every other
request of that worker. One worker serves here, so that the health checks and the hostile requests
certainly meet in the same process.
"""

import base64
import io
import json
import threading
import time

import httpx
import pytest
from PIL import Image

from tests.support.live import live_service
from tests.support.tokens import make_token

# Each hostile class stalled a worker for seconds before it was fixed (2 to 11 s); a second is far
# below that, and far above what a busy 2-core machine adds to a quick answer (up to 0.5 s seen
# while the rest of the suite ran).
HEALTH_LIMIT = 1.0
BODY = 1024 * 1024 - 200  # just under MAX_BODY_BYTES, so that each body is validated, not refused for its size


def _png(side: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (20, 120, 200)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def worst_requests(course: str, section: str) -> dict:
    picture = _png(6000)
    return {
        "name pattern": ("PATCH", section, {"name": "a" * BODY + "\x00"}),
        "name pattern, spaces": ("PATCH", section, {"name": " " * BODY + "\x00"}),
        "uniqueItems, unsortable": ("PATCH", course, {"sections_order": [True, *range(1, 1000)]}),
        "uniqueItems, objects": ("PATCH", course, {"sections_order": [{"a": [i]} for i in range(999)] + [{"a": [0]}]}),
        "error list": ("PATCH", course, {"categories": [{}] * 10_000}),
        "many objects": ("PATCH", course, {"categories": [{}] * (BODY // 4)}),
        "many arrays": ("PATCH", course, {"sections_order": [[]] * (BODY // 4)}),
        "unknown fields": ("PATCH", course, {f"u{i}": 0 for i in range(BODY // 14)}),
        "deep nesting": ("PATCH", course, None),
        "picture decoded": ("PATCH", course, {"image_original": picture}),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("health")
    with live_service("live_health", folder, [{"username": "owner"}], workers=1) as (server, _engine):
        headers = {"Authorization": f"Bearer {make_token(1)}"}
        course = httpx.post(f"{server.url}/course/", json={"name": "Target", "type": "structured"}, headers=headers)
        course_url = f"{server.url}/course/{course.json()['id']}/"
        section = httpx.post(f"{course_url}section/", json={"name": "S"}, headers=headers)
        yield server, headers, course_url, f"{course_url}section/{section.json()['id']}/"


def test_health_answers_quickly_while_hostile_requests_run(served):
    server, headers, course, section = served
    latencies, stop = [], threading.Event()

    def poll():
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                started = time.perf_counter()
                assert client.get(f"{server.url}/health/").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    outcomes = {}
    try:
        with httpx.Client(timeout=60, headers=headers) as client:
            for label, (method, url, body) in worst_requests(course, section).items():
                content = json.dumps(body) if body is not None else "[" * BODY
                started = time.perf_counter()
                response = client.request(method, url, content=content, headers={"Content-Type": "application/json"})
                outcomes[label] = (response.status_code, round(time.perf_counter() - started, 3), len(response.content))
    finally:
        stop.set()
        poller.join()

    print("\nworst requests (status, seconds, answer bytes):", outcomes)
    print(f"health: {len(latencies)} checks, slowest {max(latencies) * 1000:.0f} ms")
    assert all(status < 500 for status, _, _ in outcomes.values()), outcomes
    assert outcomes["picture decoded"][0] == 200
    assert max(latencies) < HEALTH_LIMIT
