"""Benchmark databases: migrated by `course-api db upgrade`, then filled in bulk through SQLAlchemy Core.

Rows go in with executemany on the models' own tables, which is fast enough for 100 000 courses. The
columns the models derive in Python (`name_key`, `search_text`) are taken from a transient `Course`
built with the same name and description, so they are exactly what the app would store; slugs are
made with the same slugify call as `api.rules.editing.unique_slug` (names are unique, so no suffixes).
"""

import os
import random
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slugify import slugify
from sqlalchemy import insert, text

from api.database import make_engine
from api.rules.editing import SLUG_SUFFIX_ROOM
from models import Category, Course, CourseMembership, Section, User, course_categories

OWNER, MANAGER, OUTSIDER = 1, 2, 3
USERS = 50
SEARCH_TERM = "watercolour"
MATCH_SHARE = 0.01
# And at least this many in any corpus, so that a search fills its page of 20 whatever the size:
# the search-scaling runs then compare the same work on 1 000 and 100 000 courses (1 % of 1 000
# would be 10 matches, of which 6 visible, against a full page of 20).
MIN_MATCHES = 40
EDIT_SECTIONS = 50
WRITE_SECTIONS = 10
CORPUS_SECTIONS = 3
CATEGORIES = ("Art", "Cooking", "Photography", "Programming")
TOPICS = (
    "landscape photography",
    "sourdough baking",
    "python basics",
    "oil painting",
    "bird watching",
    "public speaking",
    "home gardening",
    "jazz piano",
    "data analysis",
    "street photography",
)
LEVELS = ("A first", "An intermediate", "An advanced", "A hands-on", "A relaxed")
# Most courses are listed; drafts and secret courses are only found by their members.
PRIVACIES, PRIVACY_WEIGHTS = ("open", "private", "", "secret"), (70, 15, 10, 5)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Fixture:
    """What a seeded database holds, for the requests of the benchmark and of the parity check."""

    path: str
    courses: int
    edit_course: int = 1
    write_courses: list[int] = field(default_factory=list)
    # (course, section) pairs of the write courses, section by section across the courses.
    write_sections: list[tuple[int, int]] = field(default_factory=list)
    private_course: int = 0
    secret_course: int = 0
    draft_course: int = 0
    matches: int = 0


def migrate(path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "JWT_SECRET": "only-migrating"}
    course_api = Path(sys.executable).parent / "course-api"
    subprocess.run([str(course_api), "db", "upgrade"], env=env, check=True, capture_output=True)


def derived(name: str, description: str) -> dict:
    course = Course(name=name, description=description)
    return {
        "name": name,
        "description": description,
        "name_key": course.name_key,
        "search_text": course.search_text,
        "slug": slugify(name, max_length=Course.slug.type.length - SLUG_SUFFIX_ROOM),
    }


def course_row(course_id: int, name: str, description: str, privacy: str, creator: int) -> dict:
    return derived(name, description) | {
        "id": course_id,
        "type": "structured",
        "privacy": privacy,
        "enforce_lessons_order": False,
        "new_comment_notification_enabled": True,
        "hide_member_count": False,
        "meta_title": None,
        "meta_description": None,
        "og_title": None,
        "og_description": None,
        "og_image": None,
        "deleted": False,
        "created_at": EPOCH + timedelta(seconds=course_id),
        "created_by_id": creator,
        "revision": 1,
    }


def build(path: Path, courses: int, write_courses: int = 0, seed: int = 7) -> Fixture:
    """A fresh database of `courses` courses: one to edit (50 sections), the write targets, the rest to search."""
    path.unlink(missing_ok=True)
    migrate(path)
    rng = random.Random(seed)
    fixture = Fixture(path=str(path), courses=courses)
    users = [
        {
            "id": n,
            "username": f"user{n}",
            "real_name": f"User {n}",
            "avatar": None,
            "community_badge": n % 7 == 0,
            "is_staff": n == OWNER,
            "is_active": True,
            "deleted": False,
            "created_at": EPOCH,
        }
        for n in range(1, USERS + 1)
    ]
    categories = [
        {"id": n, "name": name, "name_key": Category(name=name).name_key, "slug": slugify(name)}
        for n, name in enumerate(CATEGORIES, 1)
    ]
    rows, sections, links, members = [], [], [], []

    def add_sections(course_id: int, count: int, label: str) -> list[int]:
        first = len(sections) + 1
        sections.extend(
            {
                "id": first + n,
                "course_id": course_id,
                "name": f"{label} {n + 1}",
                "drip_delay": n % 8,
                "dripped_at": None,
                "position": n,
                "revision": 1,
                "created_at": EPOCH,
            }
            for n in range(count)
        )
        return list(range(first, first + count))

    rows.append(course_row(1, "Editing workshop", "The course whose editors open view=edit.", "open", OWNER))
    add_sections(1, EDIT_SECTIONS, "Chapter")
    links += [{"course_id": 1, "category_id": 1}, {"course_id": 1, "category_id": 3}]
    members.append({"course_id": 1, "user_id": MANAGER, "role": "manager", "created_at": EPOCH})

    per_course = []
    for course_id in range(2, 2 + write_courses):
        rows.append(course_row(course_id, f"Writing lab {course_id}", "A course its owner edits a lot.", "open", OWNER))
        per_course.append([(course_id, s) for s in add_sections(course_id, WRITE_SECTIONS, "Part")])
        members.append({"course_id": course_id, "user_id": MANAGER, "role": "manager", "created_at": EPOCH})
    fixture.write_courses = list(range(2, 2 + write_courses))
    # Consecutive requests go to different courses, as many editors at work would.
    fixture.write_sections = [pair for round_ in zip(*per_course, strict=True) for pair in round_] if per_course else []

    for course_id in range(2 + write_courses, courses + 1):
        topic = rng.choice(TOPICS)
        match = rng.random() < MATCH_SHARE or course_id < 2 + write_courses + MIN_MATCHES
        name = f"{'Watercolour and ' if match else ''}{topic.capitalize()} {course_id}"
        description = f"{rng.choice(LEVELS)} course on {topic}, with exercises, examples and a final project."
        privacy = rng.choices(PRIVACIES, PRIVACY_WEIGHTS)[0]
        creator = course_id % USERS + 1
        rows.append(course_row(course_id, name, description, privacy, creator))
        add_sections(course_id, CORPUS_SECTIONS, "Step")
        links.append({"course_id": course_id, "category_id": course_id % len(CATEGORIES) + 1})
        if rng.random() < 0.01:
            role = rng.choice(("manager", "joined"))
            members.append({"course_id": course_id, "user_id": OWNER, "role": role, "created_at": EPOCH})
        fixture.matches += match
        # Courses of someone else than the users the parity check sends requests as.
        if creator not in (OWNER, MANAGER, OUTSIDER):
            for kind, wanted in (("private_course", "private"), ("secret_course", "secret"), ("draft_course", "")):
                if privacy == wanted and not getattr(fixture, kind):
                    setattr(fixture, kind, course_id)

    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(insert(User), users)
        connection.execute(insert(Category), categories)
        for start in range(0, len(rows), 20_000):
            connection.execute(insert(Course.__table__), rows[start : start + 20_000])
        for start in range(0, len(sections), 50_000):
            connection.execute(insert(Section.__table__), sections[start : start + 50_000])
        connection.execute(insert(course_categories), links)
        connection.execute(insert(CourseMembership.__table__), members)
    with engine.connect() as connection:
        # No ANALYZE: the service never runs it, so the planner works as it does in production.
        # Everything in the main file, so that a copy of that file alone is the whole database.
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return fixture


def fixture_dict(fixture: Fixture) -> dict:
    data = asdict(fixture)
    data["write_sections"] = len(fixture.write_sections)
    data["write_courses"] = len(fixture.write_courses)
    return data
