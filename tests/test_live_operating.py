"""Metrics and rate limits of `course-api serve` with two workers: both count for the whole service."""

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live import live_service
from tests.support.tokens import make_token

OPERATION = "getAllCategories"


def per_worker(folder: Path) -> dict[int, Counter]:
    """Each worker's own count of requests of OPERATION, by status, read from its file in PROMETHEUS_MULTIPROC_DIR."""
    found = {}
    for path in folder.glob("counter_*.db"):
        counts = Counter()
        for metric in MultiProcessCollector.merge([str(path)], accumulate=False):
            for sample in metric.samples:
                if sample.name == "course_api_requests_total" and sample.labels["operation"] == OPERATION:
                    counts[sample.labels["status"]] += sample.value
        found[int(path.stem.split("_")[1])] = counts
    return found


def settled(folder: Path, total: int) -> dict[int, Counter]:
    """per_worker once the workers have counted `total` requests: a request is counted just after its answer is sent."""
    deadline = time.monotonic() + 10
    found = per_worker(folder)
    while sum(sum(counts.values()) for counts in found.values()) < total and time.monotonic() < deadline:
        time.sleep(0.05)
        found = per_worker(folder)
    return found


def scraped(url: str) -> dict[str, float]:
    """course_api_requests_total of OPERATION by status, as a scrape (answered by either worker) adds them up."""
    text = httpx.get(url).text
    return {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "course_api_requests_total" and sample.labels["operation"] == OPERATION
    }


def burst(url: str, token: str, count: int) -> list[httpx.Response]:
    # A new connection each time, so that the kernel spreads them over both workers' sockets.
    return [httpx.get(f"{url}/category/", headers={"Authorization": f"Bearer {token}"}) for _ in range(count)]


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")
    return folder


def test_a_limit_holds_across_both_workers(tmp_path, folder):
    env = {"RATE_LIMIT_READS": "25/day", "METRICS_ENABLED": "true", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with live_service(f"limits_{tmp_path.name}", tmp_path, [{"username": "ada"}], settings=env) as (server, _engine):
        answers = burst(server.url, make_token(1), 60)
        workers = settled(folder, 60)

    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 25 + [429] * 35
    assert all(answer.headers["RateLimit-Policy"] == '"reads";q=25;w=86400' for answer in answers)
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers[25:])
    # Both workers answered part of the burst, and together they let exactly 25 through.
    assert len(workers) == 2 and all(sum(counts.values()) > 0 for counts in workers.values())
    assert sum(counts["200"] for counts in workers.values()) == 25
    assert sum(counts["429"] for counts in workers.values()) == 35


def test_metrics_add_up_over_both_workers(tmp_path, folder):
    env = {"METRICS_ENABLED": "true", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with live_service(f"metrics_{tmp_path.name}", tmp_path, [{"username": "ada"}], settings=env) as (server, _engine):
        metrics_url = server.url.removesuffix("/api/v2") + "/metrics"
        assert scraped(metrics_url) == {}
        assert all(answer.status_code == 200 for answer in burst(server.url, make_token(1), 40))
        workers = settled(folder, 40)
        total = scraped(metrics_url)

    # The earlier run's file was removed at start; each worker counted its own share, the scrape all.
    assert 1 not in workers
    assert len(workers) == 2 and all(counts["200"] > 0 for counts in workers.values())
    assert total == {"200": 40.0}


def test_metrics_are_off_by_default(tmp_path):
    with live_service(f"nometrics_{tmp_path.name}", tmp_path, [{"username": "ada"}]) as (server, _engine):
        response = httpx.get(server.url.removesuffix("/api/v2") + "/metrics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_removes_the_folder_it_made_for_the_metrics(tmp_path, workers):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {"METRICS_ENABLED": "true", "PROMETHEUS_MULTIPROC_DIR": "", "TMPDIR": str(scratch)}
    name = f"folder_{workers}_{tmp_path.name}"
    with live_service(name, tmp_path, [{"username": "ada"}], workers=workers, settings=env) as (server, _engine):
        made = list(scratch.glob("course-api-metrics-*"))
        assert len(made) == 1
        # A request is counted just after its answer is sent: the readiness check's count may still
        # be on its way to the folder.
        deadline = time.monotonic() + 10
        while not any(made[0].glob("counter_*.db")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(made[0].glob("counter_*.db"))
    # Stopped with SIGTERM (LiveServer's exit), one worker or several.
    assert server.process.returncode in (0, 143)
    assert not made[0].exists()
