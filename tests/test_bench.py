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


def test_operations_of_the_member_go_to_the_course_they_take():
    from bench.operations import OPERATIONS
    from bench.seed import MEMBER, Fixture

    fixture = Fixture(url="", courses=1, learn_course=7, open_lessons=[(3, 30), (3, 31), (4, 40)])
    ops = {op.name: op for op in OPERATIONS}
    view, complete = ops["GET view=user as a member"], ops["POST complete"]
    assert (view.user, complete.user, view.target, complete.target) == (MEMBER, MEMBER, 1.0, 1.0)
    assert view.paths(fixture) == ["/api/v2/course/7/"]
    assert complete.paths(fixture) == [
        "/api/v2/course/7/section/3/lesson/30/complete/",
        "/api/v2/course/7/section/3/lesson/31/complete/",
        "/api/v2/course/7/section/4/lesson/40/complete/",
    ]
    assert complete.body is None


def test_the_member_takes_20_sections_of_10_lessons_half_completed(tmp_path):
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from bench import seed

    fixture = seed.build(f"sqlite:///{tmp_path / 'bench.db'}", courses=60, write_courses=3)
    db = sqlite3.connect(tmp_path / "bench.db")

    def one(sql, *args):
        return db.execute(sql, args).fetchone()

    learn = fixture.learn_course
    assert one("SELECT count(*) FROM sections WHERE course_id = ?", learn) == (seed.LEARN_SECTIONS + 1,)
    statuses = dict(db.execute("SELECT status, count(*) FROM lessons WHERE course_id = ? GROUP BY status", (learn,)))
    # 3 drafts among the published lessons, 2 in a section of drafts only.
    assert statuses == {"published": 200, "draft": 5}
    # Sections 0..9 are open to the member (joined 9.5 days ago, delays 0..19): 100 lessons, 50 completed.
    assert len(fixture.open_lessons) == 100
    done = one("SELECT count(*) FROM lesson_completions WHERE course_id = ? AND user_id = ?", learn, seed.MEMBER)
    assert done == (50,)
    role, joined_at = one(
        "SELECT role, joined_at FROM course_memberships WHERE course_id = ? AND user_id = ?", learn, seed.MEMBER
    )
    ago = datetime.now(UTC) - datetime.fromisoformat(joined_at).replace(tzinfo=UTC)
    assert role == "joined"
    assert timedelta(days=9, hours=11) < ago < timedelta(days=9, hours=13)
    # The first section that has not opened yet is the one the dripping lesson belongs to.
    assert one("SELECT drip_delay FROM sections WHERE id = ?", fixture.dripping_lesson[0]) == (seed.JOINED_DAYS_AGO,)
    assert one("SELECT status FROM lessons WHERE id = ?", fixture.draft_lesson[1]) == ("draft",)
    # The learning courses come after the search corpus, so the corpus keeps its size.
    assert learn == fixture.courses + 1
