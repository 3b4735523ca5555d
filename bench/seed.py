"""Benchmark databases: migrated by `course-api db upgrade`, then filled in bulk through SQLAlchemy Core.

Besides the courses to edit and to search, four courses are taken by a member (`MEMBER`): the
benchmarked one (structured, 20 sections of 10 published lessons opening 0 to 19 days after the
member joined, a few drafts, half of the open lessons completed) and three small ones for the parity
check (lessons in enforced order, scheduled sections of a private course, a finished self-paced
course). Their drip dates are relative to the moment of seeding, 12 hours away from any day's
boundary, so no section opens while a run or the parity check is under way.

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
from models import Base, Category, Course, CourseMembership, Lesson, LessonCompletion, Section, User, course_categories

OWNER, MANAGER, OUTSIDER = 1, 2, 3
# The creator of the courses the member takes, and the member.
TEACHER, MEMBER = 5, 4
# Who joins open courses one after another (`POST join`); they hold no role anywhere before.
JOINER = 6
LEARN_SECTIONS, LEARN_LESSONS = 20, 10
# The member joined this many days before the seeding (plus 12 hours): sections 0..9 are open.
JOINED_DAYS_AGO = 10
USERS = 50
# The course whose dashboard lists its people (`GET users/`): this many members, users of their own.
ROSTER_MEMBERS = 500
ROSTER_SECTIONS, ROSTER_LESSONS = 5, 4
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

    url: str  # the seeded database, the template every run copies
    courses: int
    edit_course: int = 1
    write_courses: list[int] = field(default_factory=list)
    # (course, section) pairs of the write courses, section by section across the courses.
    write_sections: list[tuple[int, int]] = field(default_factory=list)
    private_course: int = 0
    secret_course: int = 0
    draft_course: int = 0
    matches: int = 0
    # The course a member takes (view=user, complete); (section, lesson) pairs of what they may mark.
    learn_course: int = 0
    open_lessons: list[tuple[int, int]] = field(default_factory=list)
    # For the parity check: a lesson in a section that has not opened, a draft, a section with drafts only.
    dripping_lesson: tuple[int, int] = (0, 0)
    draft_lesson: tuple[int, int] = (0, 0)
    ordered_course: int = 0
    # Its lessons in course order; the third one is the member's next, the fourth is locked by order.
    ordered_lessons: list[tuple[int, int]] = field(default_factory=list)
    scheduled_course: int = 0
    scheduled_lessons: list[tuple[int, int]] = field(default_factory=list)
    finished_course: int = 0
    # The course of ROSTER_MEMBERS members (created by TEACHER), and the open courses JOINER may join.
    roster_course: int = 0
    join_courses: list[int] = field(default_factory=list)


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "JWT_SECRET": "only-migrating"}
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


def build(url: str, courses: int, write_courses: int = 0, seed: int = 7) -> Fixture:
    """Fill the new, empty database at `url` with `courses` courses: one to edit (50 sections), the write
    targets, the rest to search."""
    migrate(url)
    rng = random.Random(seed)
    fixture = Fixture(url=url, courses=courses)
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
        for n in range(1, USERS + ROSTER_MEMBERS + 1)
    ]
    categories = [
        {"id": n, "name": name, "name_key": Category(name=name).name_key, "slug": slugify(name)}
        for n, name in enumerate(CATEGORIES, 1)
    ]
    rows, sections, links, members = [], [], [], []

    def add_sections(course_id: int, count: int, label: str, delay=lambda n: n % 8, dripped=lambda n: None):
        first = len(sections) + 1
        sections.extend(
            {
                "id": first + n,
                "course_id": course_id,
                "name": f"{label} {n + 1}",
                "drip_delay": delay(n),
                "dripped_at": dripped(n),
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
    members.append(membership(1, MANAGER, "manager"))

    per_course = []
    for course_id in range(2, 2 + write_courses):
        rows.append(course_row(course_id, f"Writing lab {course_id}", "A course its owner edits a lot.", "open", OWNER))
        per_course.append([(course_id, s) for s in add_sections(course_id, WRITE_SECTIONS, "Part")])
        members.append(membership(course_id, MANAGER, "manager"))
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
        if privacy == "open" and creator != JOINER:
            fixture.join_courses.append(course_id)
        rows.append(course_row(course_id, name, description, privacy, creator))
        add_sections(course_id, CORPUS_SECTIONS, "Step")
        links.append({"course_id": course_id, "category_id": course_id % len(CATEGORIES) + 1})
        if rng.random() < 0.01:
            role = rng.choice(("manager", "joined"))
            members.append(membership(course_id, OWNER, role))
        fixture.matches += match
        # Courses of someone else than the users the parity check sends requests as.
        if creator not in (OWNER, MANAGER, OUTSIDER):
            for kind, wanted in (("private_course", "private"), ("secret_course", "secret"), ("draft_course", "")):
                if privacy == wanted and not getattr(fixture, kind):
                    setattr(fixture, kind, course_id)

    lessons, completions = learning_courses(fixture, rows, members, add_sections, first_id=courses + 1)
    roster_course(fixture, rows, members, add_sections, lessons, completions, course_id=courses + 5)

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(User), users)
        connection.execute(insert(Category), categories)
        for start in range(0, len(rows), 20_000):
            connection.execute(insert(Course.__table__), rows[start : start + 20_000])
        for start in range(0, len(sections), 50_000):
            connection.execute(insert(Section.__table__), sections[start : start + 50_000])
        connection.execute(insert(course_categories), links)
        connection.execute(insert(CourseMembership.__table__), members)
        connection.execute(insert(Lesson.__table__), lessons)
        connection.execute(insert(LessonCompletion.__table__), completions)
    finish(engine)
    engine.dispose()
    return fixture


def finish(engine) -> None:
    """Make the bulk-filled database what a running service would have, before it is copied."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            # No ANALYZE: the service never runs it, so the planner works as it does in production.
            # Everything in the main file, so that a copy of that file alone is the whole database.
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # The rows came with their ids: the sequences must start after them, as if the service had made them.
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.autoincrement is not False and table.c.id.primary_key:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                        f" (SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
        # In production autovacuum has analysed the tables long ago; a fresh copy would get its
        # statistics in the middle of a measured run instead.
        connection.execute(text("VACUUM ANALYZE"))


def membership(course_id: int, user_id: int, role: str, joined_at: datetime = EPOCH) -> dict:
    return {"course_id": course_id, "user_id": user_id, "role": role, "created_at": joined_at, "joined_at": joined_at}


def learning_courses(fixture: Fixture, rows: list, members: list, add_sections, first_id: int) -> tuple[list, list]:
    """The courses MEMBER takes, after the others; their lessons and the member's completions."""
    now = datetime.now(UTC).replace(microsecond=0)
    joined_at = now - timedelta(days=JOINED_DAYS_AGO) + timedelta(hours=12)
    lessons, completions = [], []

    def add_lessons(course_id: int, section_id: int, statuses: str, label: str) -> list[int]:
        """One lesson per letter of `statuses`: p published, d draft."""
        ids = []
        for position, status in enumerate(statuses):
            ids.append(len(lessons) + 1)
            lessons.append(
                {
                    "id": ids[-1],
                    "course_id": course_id,
                    "section_id": section_id,
                    "name": f"{label} {position + 1}",
                    "type": "lesson",
                    "status": "published" if status == "p" else "draft",
                    "comments_enabled": position % 3 != 2,
                    "html": f"<p>{label} {position + 1}</p>",
                    "position": position,
                    "revision": 1,
                    "created_at": EPOCH,
                    "created_by_id": TEACHER,
                }
            )
        return ids

    def complete(course_id: int, lesson_id: int) -> None:
        completions.append(
            {
                "id": len(completions) + 1,
                "lesson_id": lesson_id,
                "user_id": MEMBER,
                "course_id": course_id,
                "created_at": joined_at + timedelta(minutes=len(completions) + 1),
            }
        )

    def course(course_id: int, name: str, privacy: str, kind: str, ordered: bool = False) -> None:
        rows.append(
            course_row(course_id, name, "A course to take.", privacy, TEACHER)
            | {"type": kind, "enforce_lessons_order": ordered}
        )
        members.append(membership(course_id, MEMBER, "joined", joined_at))
        members.append(membership(course_id, MANAGER, "manager", joined_at - timedelta(days=30)))

    # The benchmarked course. Drafts sit among the published lessons of three sections, and a
    # last section holds drafts only: a member sees neither.
    learn = fixture.learn_course = first_id
    course(learn, "Lessons studio", "open", "structured")
    drafts_in = {0: 3, 5: 0, 12: 9}
    section_ids = add_sections(learn, LEARN_SECTIONS + 1, "Week", delay=lambda n: min(n, LEARN_SECTIONS - 1))
    for n, section_id in enumerate(section_ids):
        if n == LEARN_SECTIONS:
            fixture.draft_lesson = (section_id, add_lessons(learn, section_id, "dd", "Unfinished")[0])
            continue
        statuses = "p" * LEARN_LESSONS
        if n in drafts_in:
            statuses = statuses[: drafts_in[n]] + "d" + statuses[drafts_in[n] :]
        ids = add_lessons(learn, section_id, statuses, f"Week {n + 1}, lesson")
        published = [i for i, s in zip(ids, statuses, strict=True) if s == "p"]
        if n < JOINED_DAYS_AGO:
            fixture.open_lessons += [(section_id, lesson_id) for lesson_id in published]
            for lesson_id in published[::2]:
                complete(learn, lesson_id)
        elif n == JOINED_DAYS_AGO:
            fixture.dripping_lesson = (section_id, published[0])

    ordered = fixture.ordered_course = first_id + 1
    course(ordered, "Lessons in order", "open", "structured", ordered=True)
    sections_ = add_sections(ordered, 3, "Step", delay=lambda n: (0, 0, 30)[n])
    for section_id, statuses in zip(sections_, ("pdpp", "pp", "pp"), strict=True):
        ids = add_lessons(ordered, section_id, statuses, "Step lesson")
        fixture.ordered_lessons += [(section_id, i) for i, s in zip(ids, statuses, strict=True) if s == "p"]
    # The first two, then the fourth: the third is next, everything after it waits for it.
    for _, lesson_id in (fixture.ordered_lessons[0], fixture.ordered_lessons[1], fixture.ordered_lessons[3]):
        complete(ordered, lesson_id)

    scheduled = fixture.scheduled_course = first_id + 2
    course(scheduled, "Lessons on dates", "private", "scheduled")
    dates = (now - timedelta(days=3, hours=12), None, now + timedelta(days=4, hours=12))
    sections_ = add_sections(scheduled, 3, "Date", delay=lambda n: 5, dripped=lambda n: dates[n])
    for section_id in sections_:
        fixture.scheduled_lessons += [(section_id, i) for i in add_lessons(scheduled, section_id, "pp", "Dated")]
    complete(scheduled, fixture.scheduled_lessons[1][1])

    finished = fixture.finished_course = first_id + 3
    course(finished, "Lessons all done", "open", "self-paced")
    for lesson_id in add_lessons(finished, add_sections(finished, 1, "Only")[0], "pdp", "Done"):
        if lessons[lesson_id - 1]["status"] == "published":
            complete(finished, lesson_id)
    return lessons, completions


def roster_course(fixture: Fixture, rows, members, add_sections, lessons, completions, course_id: int) -> None:
    """An open course of ROSTER_MEMBERS members who joined a minute apart, each further along than the
    last (0 to all of its published lessons completed, some minutes after joining)."""
    fixture.roster_course = course_id
    rows.append(course_row(course_id, "Crowded classroom", "A course many take.", "open", TEACHER))
    published = []
    for section_id in add_sections(course_id, ROSTER_SECTIONS, "Unit"):
        for position in range(ROSTER_LESSONS):
            lessons.append(
                {
                    "id": len(lessons) + 1,
                    "course_id": course_id,
                    "section_id": section_id,
                    "name": f"Unit lesson {position + 1}",
                    "type": "lesson",
                    "status": "published",
                    "comments_enabled": True,
                    "html": "<p>Practice.</p>",
                    "position": position,
                    "revision": 1,
                    "created_at": EPOCH,
                    "created_by_id": TEACHER,
                }
            )
            published.append(len(lessons))
    for n in range(ROSTER_MEMBERS):
        user_id = USERS + 1 + n
        joined_at = EPOCH + timedelta(minutes=n)
        members.append(membership(course_id, user_id, "joined", joined_at))
        for k, lesson_id in enumerate(published[: n % (len(published) + 1)]):
            completions.append(
                {
                    "id": len(completions) + 1,
                    "lesson_id": lesson_id,
                    "user_id": user_id,
                    "course_id": course_id,
                    "created_at": joined_at + timedelta(seconds=37 * (k + 1)),
                }
            )


def fixture_dict(fixture: Fixture) -> dict:
    data = asdict(fixture)
    for name in (
        "write_sections",
        "write_courses",
        "open_lessons",
        "ordered_lessons",
        "scheduled_lessons",
        "join_courses",
    ):
        data[name] = len(getattr(fixture, name))
    return data
