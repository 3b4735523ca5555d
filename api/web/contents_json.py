"""Sections, lesson summaries and a caller's outline as JSON, built as plain dicts.

An outline of 20 sections × 10 lessons has about 3 000 fields, and marshmallow spends three calls
on each: a third of the time of `view=user`. These answers are built by hand instead, from rows of
`api.rules.contents` or from model objects alike (both are read by attribute). The spec's schemas
are Section, LessonSummary, SectionDetail, SectionProgress and LessonProgress; the tests validate
every answer against them.
"""

from datetime import datetime

from models.lesson import PUBLISHED


def iso(value: datetime | None) -> str | None:
    """As marshmallow writes a date-time, so that both kinds of answers agree."""
    return value.isoformat() if value is not None else None


def lesson_summary(lesson) -> dict:
    return {
        "id": lesson.id,
        "name": lesson.name,
        "type": lesson.type,
        "status": lesson.status,
        "comments_enabled": lesson.comments_enabled,
    }


def section_json(section, lessons: list, shown: bool = False) -> dict:
    """A section with `lessons`, all of its lessons in order. To its editors `num_lessons` counts the
    published ones; in an outline (`shown`) the lessons are those the caller is shown, and it counts them."""
    return {
        "id": section.id,
        "name": section.name,
        "dripped_at": iso(section.dripped_at),
        "drip_delay": section.drip_delay,
        "lessons_order": [lesson.id for lesson in lessons],
        "num_lessons": len(lessons) if shown else sum(1 for lesson in lessons if lesson.status == PUBLISHED),
        "revision": section.revision,
    }


def section_detail(section, lessons: list) -> dict:
    """A section with its lessons, drafts included (`view=edit`)."""
    return section_json(section, lessons) | {"lessons": [lesson_summary(lesson) for lesson in lessons]}


class _Locks:
    """Each lock's JSON, built once: every lesson of a closed section shares the section's lock."""

    def __init__(self):
        self.built = {None: None}

    def json(self, lock) -> dict | None:
        if lock not in self.built:
            self.built[lock] = {"reason": lock.reason, "available_at": iso(lock.available_at)}
        return self.built[lock]


def _lesson_progress(state, locks: _Locks) -> dict:
    return lesson_summary(state.lesson) | {
        "completion_status": state.completion_status,
        "locked": state.locked,
        "lock": locks.json(state.lock),
    }


def _section_progress(state, locks: _Locks) -> dict:
    lessons = [state.lesson for state in state.lessons]
    return section_json(state.section, lessons, shown=True) | {
        "available_date": iso(state.available_date),
        "locked": state.locked,
        "lock": locks.json(state.lock),
        "num_lessons_completed": state.num_lessons_completed,
        "lessons": [_lesson_progress(lesson, locks) for lesson in state.lessons],
    }


def progress_json(progress) -> dict:
    """What an `api.rules.progress.Progress` adds to a course."""
    locks = _Locks()
    following = progress.next_lesson
    return {
        "sections": [_section_progress(state, locks) for state in progress.sections],
        "num_sections": progress.num_sections,
        "num_lessons": progress.num_lessons,
        "num_lessons_completed": progress.num_lessons_completed,
        "user_completion_rate": progress.user_completion_rate,
        "completed_at": iso(progress.completed_at),
        "next_lesson": None
        if following is None
        else {"section_id": following.lesson.section_id, "lesson_id": following.lesson.id},
    }
