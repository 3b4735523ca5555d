"""Bodies over the size limit are refused before they are read, and change nothing.

Section and lesson writes have the plain limit (MAX_BODY_BYTES); course writes get room for one picture
more, used only by a body that really carries one.
"""

import base64
import io
import json
import random

from PIL import Image
from sqlalchemy import func, select

from models import Course, Lesson, Section
from tests.support.http import API, course_url, problem
from tests.support.tokens import auth

LIMIT = 1024 * 1024
# Ten MiB of picture as base64.
PICTURE_ROOM = -(-10 * 1024 * 1024 // 3) * 4


def course_count(db):
    return db.scalar(select(func.count()).select_from(Course))


def section_count(db):
    return db.scalar(select(func.count()).select_from(Section))


class TestBodyLimit:
    def test_refuses_a_declared_length_over_the_limit(self, client, alice, make, db):
        body = json.dumps({"name": "d" * LIMIT})

        response = client.post(
            course_url(make.course(alice), "section"),
            content=body,
            headers={**auth(alice), "Content-Type": "application/json"},
        )

        assert problem(response, 413)["errors"] == [
            {"messages": [{"code": "too_large", "message": f"The body is larger than the limit of {LIMIT} bytes."}]}
        ]
        assert section_count(db) == 0

    def test_refuses_a_chunked_body_once_it_passes_the_limit(self, client, alice, make, db):
        chunk = b" " * 65536

        def chunks():
            yield b'{"name": "'
            for _ in range(LIMIT // len(chunk) + 1):
                yield chunk
            yield b'"}'

        response = client.post(
            course_url(make.course(alice), "section"),
            content=chunks(),
            headers={**auth(alice), "Content-Type": "application/json"},
        )

        assert problem(response, 413)["status"] == 413
        assert section_count(db) == 0

    def test_accepts_a_small_chunked_body(self, client, alice):
        def chunks():
            yield b'{"name": "Chunked", '
            yield b'"type": "self-paced"}'

        response = client.post(
            f"{API}/course/", content=chunks(), headers={**auth(alice), "Content-Type": "application/json"}
        )

        assert response.status_code == 201, response.text
        assert response.json()["name"] == "Chunked"

    def test_accepts_a_body_just_under_the_limit_up_to_the_schema(self, client, alice, make):
        padding = " " * (LIMIT - 100)
        body = f'{{"name": "Padded"{padding}}}'

        response = client.post(
            course_url(make.course(alice), "section"),
            content=body,
            headers={**auth(alice), "Content-Type": "application/json"},
        )

        assert response.status_code == 201, response.text

    def test_course_writes_have_room_for_a_picture(self, client, alice):
        noise = Image.frombytes("RGB", (800, 800), random.Random(7).randbytes(800 * 800 * 3))
        png = io.BytesIO()
        noise.save(png, "PNG")
        picture = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
        padding = " " * (LIMIT - 1000)
        body = f'{{"name": "Padded",{padding}"type": "self-paced", "image_original": "{picture}"}}'
        assert len(body) > 2 * LIMIT

        response = client.post(
            f"{API}/course/", content=body, headers={**auth(alice), "Content-Type": "application/json"}
        )

        assert response.status_code == 201, response.text

    def test_course_writes_refuse_more_than_that(self, client, alice, db):
        body = json.dumps({"name": "x", "type": "self-paced", "description": "d" * (LIMIT + PICTURE_ROOM)})

        response = client.post(
            f"{API}/course/", content=body, headers={**auth(alice), "Content-Type": "application/json"}
        )

        message = f"The body is larger than the limit of {LIMIT + PICTURE_ROOM} bytes."
        assert problem(response, 413)["errors"] == [{"messages": [{"code": "too_large", "message": message}]}]
        assert course_count(db) == 0

    def test_refuses_a_body_without_content_type(self, client, alice, db):
        response = client.post(f"{API}/course/", content=b'{"name": "x", "type": "self-paced"}', headers=auth(alice))

        assert problem(response, 415)["errors"][0]["messages"][0]["code"] == "unsupported_media_type"
        assert course_count(db) == 0


def lesson_count(db):
    return db.scalar(select(func.count()).select_from(Lesson))


class TestLessonBodies:
    @staticmethod
    def urls(make, alice):
        course = make.course(alice, sections=1)
        lesson = make.lesson(course.sections[0], name="Kept", html="<p>Kept</p>")
        lessons = course_url(course, "section", course.sections[0], "lesson")
        return {"POST": lessons, "PUT": f"{lessons}{lesson.id}/", "PATCH": f"{lessons}{lesson.id}/"}, lesson

    def test_a_declared_length_over_the_limit_is_refused_by_every_write(self, client, alice, make, db):
        urls, lesson = self.urls(make, alice)
        body = json.dumps({"name": "Big", "text": "t" * LIMIT})

        for method, url in urls.items():
            response = client.request(
                method, url, content=body, headers={**auth(alice), "Content-Type": "application/json"}
            )

            assert problem(response, 413)["errors"][0]["messages"][0]["code"] == "too_large", method
        db.expire_all()
        assert lesson_count(db) == 1
        assert (db.get(Lesson, lesson.id).name, db.get(Lesson, lesson.id).revision) == ("Kept", 1)

    def test_a_chunked_body_is_refused_once_it_passes_the_limit(self, client, alice, make, db):
        urls, _ = self.urls(make, alice)
        chunk = b" " * 65536

        def chunks():
            yield b'{"name": "Chunked", "text": "'
            for _ in range(LIMIT // len(chunk) + 1):
                yield chunk
            yield b'"}'

        response = client.post(
            urls["POST"], content=chunks(), headers={**auth(alice), "Content-Type": "application/json"}
        )

        problem(response, 413)
        assert lesson_count(db) == 1

    def test_the_longest_text_fits_the_limit(self, client, alice, make, db):
        """80 000 characters beyond the BMP, each escaped as a surrogate pair (12 bytes), still fit."""
        urls, _ = self.urls(make, alice)
        text = "\U0001f600" * 80_000
        body = json.dumps({"name": "Longest", "text": text}).encode()
        assert len(body) < LIMIT

        response = client.post(urls["POST"], content=body, headers={**auth(alice), "Content-Type": "application/json"})

        assert response.status_code == 201, response.text
        assert response.json()["html"] == text
