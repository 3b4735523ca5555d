"""`make bench` is not part of the suite (it runs for minutes under load); its code still has to work.

Its modules import the server's own (the seed derives slugs and keys as we do), so a rename in api/
that they were not told about would only show when someone runs the benchmark.
"""

import importlib

import pytest


@pytest.mark.parametrize("module", ["bench.run", "bench.seed", "bench.check_parity", "bench.baseline.app"])
def test_bench_modules_import(module):
    importlib.import_module(module)


def test_the_seed_derives_rows_as_the_server_does():
    from bench import seed

    row = seed.derived("Watercolour basics", "Brushes and paper")
    assert row["slug"] == "watercolour-basics"
    assert row["name_key"] and row["search_text"]
