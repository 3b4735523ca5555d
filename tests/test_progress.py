"""A member takes a structured course through the API, and days pass (time-machine moves the clock)."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.support.http import course_url
from tests.support.tokens import auth

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def test_a_structured_course_drips_open_as_the_days_pass(client, make, alice, bob):
    with time_machine.travel(START, tick=False) as clock:
        course = ok(
            client.post(
                "/api/v2/course/", json={"name": "Drip", "type": "structured", "privacy": "open"}, headers=auth(alice)
            ),
            201,
        )
        sections, lessons = [], {}
        for delay in (0, 2, 5):
            section = ok(
                client.post(
                    course_url(course["id"], "section"),
                    json={"name": f"Day {delay}", "drip_delay": delay},
                    headers=auth(alice),
                ),
                201,
            )
            sections.append(section["id"])
            lessons[section["id"]] = []
            for name, status in (("one", "published"), ("two", "published"), ("draft", "draft")):
                lesson = ok(
                    client.post(
                        course_url(course["id"], "section", section["id"], "lesson"),
                        json={"name": f"{delay} {name}", "status": status, "text": "<p>x</p>"},
                        headers=auth(alice),
                    ),
                    201,
                )
                if status == "published":
                    lessons[section["id"]].append(lesson["id"])
        ok(client.post(course_url(course["id"], "role"), json={"joined": [bob.id]}, headers=auth(alice)), 204)

        seen = ok(client.get(course_url(course["id"]), headers=auth(bob)))
        assert [s["locked"] for s in seen["sections"]] == [False, True, True]
        assert [s["available_date"] for s in seen["sections"]] == [
            (START + timedelta(days=d)).isoformat() for d in (0, 2, 5)
        ]
        assert [s["lock"] for s in seen["sections"]][1] == {
            "reason": "drip",
            "available_at": (START + timedelta(days=2)).isoformat(),
        }
        assert all(len(s["lessons"]) == 2 for s in seen["sections"])
        assert (seen["num_lessons"], seen["num_lessons_completed"], seen["user_completion_rate"]) == (6, 0, 0)
        assert seen["next_lesson"] == {"section_id": sections[0], "lesson_id": lessons[sections[0]][0]}

        locked = course_url(course["id"], "section", sections[1], "lesson", lessons[sections[1]][0])
        assert client.get(locked, headers=auth(bob)).status_code == 403
        for lesson_id in lessons[sections[0]]:
            ok(
                client.post(
                    course_url(course["id"], "section", sections[0], "lesson", lesson_id, "complete"), headers=auth(bob)
                ),
                204,
            )
        seen = ok(client.get(course_url(course["id"]), headers=auth(bob)))
        assert (seen["num_lessons_completed"], seen["user_completion_rate"]) == (2, 33)
        assert seen["next_lesson"] is None

        clock.shift(timedelta(days=2))
        assert ok(client.get(locked, headers=auth(bob)))["html"] == "<p>x</p>"
        seen = ok(client.get(course_url(course["id"]), headers=auth(bob)))
        assert [s["locked"] for s in seen["sections"]] == [False, False, True]

        clock.shift(timedelta(days=3))
        seen = ok(client.get(course_url(course["id"]), headers=auth(bob)))
        assert [s["locked"] for s in seen["sections"]] == [False, False, False]
