"""What the official web front end sends and calls (issue 16): its spellings, the platform calls, visitors.

The front end (`@selfcommunity/react-ui` in react-core's provider) sends `products` with every course
form, `"type": "lesson"` with every section, integers as text, lists in query parameters as JSON text;
it loads the caller, the preferences and the features first, and shows courses without a picture.
"""

import json
import re
import time

import pytest

from api.app import create_app
from api.config import Settings
from api.pictures.images import neutral_picture
from tests.support.http import API, COURSES, course_url, error_codes, problem
from tests.support.tokens import SECRET, auth, make_token

SEARCH = f"{COURSES}search/"
MULTIPART_BOUNDARY = "----ui"


def multipart(fields: dict) -> tuple[bytes, dict]:
    """A multipart/form-data body of text parts, as the web front end's CourseForm builds it."""
    parts = [
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{MULTIPART_BOUNDARY}--\r\n").encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"}


class TestProducts:
    def test_the_course_form_creates_a_course_with_no_products(self, client, alice):
        body, headers = multipart({"name": "Light", "type": "self-paced", "products": "[]"})

        response = client.post(COURSES, content=body, headers=headers | auth(alice))

        assert response.status_code == 201, response.text
        assert "products" not in response.json()

    @pytest.mark.parametrize("products", [[], "[]"])
    def test_json_takes_an_empty_list_or_its_text(self, client, make, alice, products):
        course = make.course(alice)

        response = client.patch(course_url(course), json={"products": products}, headers=auth(alice))

        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("products", [[3], "[3]", ["3"], "", "null", 0, None, {"id": 3}])
    def test_anything_else_is_a_400_naming_products(self, client, make, alice, products):
        course = make.course(alice)

        body = problem(client.patch(course_url(course), json={"products": products}, headers=auth(alice)), 400)

        assert list(error_codes(body)) == ["products"]

    def test_a_chosen_product_in_the_form_is_a_400_naming_products(self, client, alice):
        body, headers = multipart({"name": "Light", "type": "self-paced", "products": "[7]"})

        problem_body = problem(client.post(COURSES, content=body, headers=headers | auth(alice)), 400)

        assert list(error_codes(problem_body)) == ["products"]


class TestSectionType:
    def test_type_lesson_is_accepted_and_ignored(self, client, make, alice):
        course = make.course(alice)

        response = client.post(
            course_url(course, "section"), json={"name": "Start", "type": "lesson"}, headers=auth(alice)
        )

        assert response.status_code == 201, response.text
        assert "type" not in response.json()

    @pytest.mark.parametrize("kind", ["quiz", "", None, 1])
    def test_another_type_is_a_400(self, client, make, alice, kind):
        course = make.course(alice)

        body = problem(
            client.post(course_url(course, "section"), json={"name": "Start", "type": kind}, headers=auth(alice)), 400
        )

        assert list(error_codes(body)) == ["type"]


class TestIntegersAsText:
    def test_the_release_menu_sends_days_as_text(self, client, make, alice):
        course = make.course(alice, type="structured", sections=1)
        section = course.sections[0]

        response = client.patch(course_url(course, "section", section), json={"drip_delay": "14"}, headers=auth(alice))

        assert response.status_code == 200, response.text
        assert response.json()["drip_delay"] == 14

    @pytest.mark.parametrize("days", ["0", "9", "365", "3650"])
    def test_every_allowed_number_of_days_reads(self, client, make, alice, days):
        course = make.course(alice, sections=1)

        response = client.patch(
            course_url(course, "section", course.sections[0]), json={"drip_delay": days}, headers=auth(alice)
        )

        assert (response.status_code, response.json()["drip_delay"]) == (200, int(days))

    @pytest.mark.parametrize(
        "days",
        ["3651", "9999", "014", "-1", "+1", " 1", "1 ", "٣", "１", "²", "1.0", "1e2", "0x1", "", "1" * 10_000, "true"],
    )
    def test_other_texts_are_a_400_naming_the_field(self, client, make, alice, days):
        course = make.course(alice, sections=1)

        started = time.perf_counter()
        body = problem(
            client.patch(
                course_url(course, "section", course.sections[0]), json={"drip_delay": days}, headers=auth(alice)
            ),
            400,
        )

        assert list(error_codes(body)) == ["drip_delay"]
        assert time.perf_counter() - started < 1

    def test_ids_as_text_in_lists_and_objects(self, client, make, alice):
        first, second = make.category("One"), make.category("Two")
        course = make.course(alice, sections=2)
        a, b = course.sections

        response = client.patch(
            course_url(course),
            json={"categories": [str(first.id), {"id": str(second.id)}], "sections_order": [str(b.id), a.id]},
            headers=auth(alice),
        )

        assert response.status_code == 200, response.text
        assert sorted(c["id"] for c in response.json()["categories"]) == sorted([first.id, second.id])
        assert response.json()["sections_order"] == [b.id, a.id]

    def test_an_id_as_text_repeats_the_same_id_as_a_number(self, client, make, alice):
        course = make.course(alice, sections=2)
        a, _ = course.sections

        body = problem(
            client.patch(course_url(course), json={"sections_order": [str(a.id), a.id]}, headers=auth(alice)), 400
        )

        assert error_codes(body) == {"sections_order": ["duplicate"]}

    def test_repeats_sent_as_such_are_left_to_unique_items(self, client, make, alice):
        course = make.course(alice, sections=2)
        a, _ = course.sections

        body = problem(
            client.patch(course_url(course), json={"sections_order": [a.id, a.id, str(a.id)]}, headers=auth(alice)), 400
        )

        assert error_codes(body) == {"sections_order": ["uniqueItems"]}

    @pytest.mark.parametrize("user_id", ["0", "01", "1234567890123456", "+2", "٢"])
    def test_bad_id_texts_in_a_role_change_are_a_400(self, client, make, alice, user_id):
        course = make.course(alice)

        body = problem(client.post(course_url(course, "role"), json={"joined": [user_id]}, headers=auth(alice)), 400)

        assert list(error_codes(body)) == ["joined.0"]

    def test_user_ids_as_text_in_a_role_change(self, client, make, alice, bob):
        course = make.course(alice)

        response = client.post(course_url(course, "role"), json={"managers": [str(bob.id)]}, headers=auth(alice))

        assert response.status_code == 204, response.text


class TestArrayQueryParameters:
    @pytest.fixture
    def courses(self, make, alice, bob):
        managed = make.course(bob, managers=[alice], name="Managed")
        joined = make.course(bob, joined=[alice], name="Joined")
        make.course(bob, name="Neither")
        return {"manager": managed.id, "joined": joined.id}

    @pytest.mark.parametrize(
        "query",
        [
            "statuses=joined&statuses=manager",
            "statuses=joined,manager",
            'statuses=["joined","manager"]',
            'statuses=["joined"]&statuses=manager',
            'statuses=[ "joined" , "manager" ]',
        ],
    )
    def test_three_spellings_of_one_list(self, client, alice, courses, query):
        response = client.get(f"{COURSES}?{query}", headers=auth(alice))

        assert response.status_code == 200, response.text
        assert sorted(c["id"] for c in response.json()["results"]) == sorted(courses.values())

    @pytest.mark.parametrize(
        "query", ["categories={id}", "categories=[{id}]", 'categories=["{id}"]', "categories=99999,{id}"]
    )
    def test_category_lists_of_the_search(self, client, make, alice, query):
        category = make.category()
        filed = make.course(alice, categories=[category])
        make.course(alice)

        response = client.get(f"{SEARCH}?{query.format(id=category.id)}", headers=auth(alice))

        assert response.status_code == 200, response.text
        assert [c["id"] for c in response.json()["results"]] == [filed.id]

    @pytest.mark.parametrize(
        "query",
        [
            "statuses=nobody",
            'statuses=["joined",["manager"]]',
            'statuses=[{"a":1}]',
            'statuses=["joined",null]',
            "statuses=[true]",
            "statuses=[1.5]",
            "statuses=[joined]",
            'statuses=["joined"',
            "statuses=" + "[" * 10_000,
            "statuses=" + ",".join(["joined"] * 5000),
            "&".join(["statuses=joined"] * 1000),
            "statuses=" + json.dumps(["joined"] * 6),
        ],
    )
    def test_anything_else_is_a_quick_400_naming_the_parameter(self, client, alice, query):
        started = time.perf_counter()
        body = problem(client.get(f"{COURSES}?{query}", headers=auth(alice)), 400)

        assert set(error_codes(body)) <= {"statuses", "statuses.0", "statuses.1"}, body
        assert any(field.startswith("statuses") for field in error_codes(body))
        assert time.perf_counter() - started < 1

    @pytest.mark.parametrize("item", ["+1", " 1", "٣", "1" * 30, "0x1"])
    def test_integer_items_are_ascii_digits(self, client, alice, item):
        body = problem(client.get(SEARCH, params={"categories": item}, headers=auth(alice)), 400)

        assert any(field.startswith("categories") for field in error_codes(body))


class TestCurrentUser:
    def test_the_caller_in_the_platform_shape(self, client, alice):
        response = client.get(f"{API}/user/me/", headers=auth(alice))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body | {"date_joined": None} == {
            "id": alice.id,
            "username": "alice",
            "real_name": "",
            "avatar": None,
            "community_badge": False,
            "deleted": False,
            "date_joined": None,
            "role": None,
            "status": "a",
            "permission": {"create_course": True},
        }
        assert body["date_joined"].endswith("Z") or body["date_joined"].endswith("+00:00")

    def test_staff_are_admins(self, client, staff):
        assert client.get(f"{API}/user/me/", headers=auth(staff)).json()["role"] == "admin"

    def test_create_course_follows_courses_only_staff(self, alice, staff, tmp_path, database_url):
        app = create_app(
            Settings(
                database_url=database_url,
                media_root=tmp_path,
                jwt_secret=SECRET,
                courses_only_staff=True,
                allowed_hosts=("testserver",),
            )
        )
        with app.test_client() as client:
            assert client.get(f"{API}/user/me/", headers=auth(alice)).json()["permission"] == {"create_course": False}
            assert client.get(f"{API}/user/me/", headers=auth(staff)).json()["permission"] == {"create_course": True}
            problem(client.post(COURSES, json={"name": "X", "type": "self-paced"}, headers=auth(alice)), 403)

    def test_needs_a_token(self, client):
        problem(client.get(f"{API}/user/me/"), 401)

    def test_a_deactivated_user_is_refused(self, client, make, db):
        gone = make.user(is_active=False)

        problem(client.get(f"{API}/user/me/", headers=auth(gone)), 401)


class TestPreferencesAndFeatures:
    def preferences(self, client, **kwargs):
        response = client.get(f"{API}/dynamic_preference/", **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["count"], body["next"], body["previous"]) == (len(body["results"]), None, None)
        return {f"{p['section']}.{p['name']}": p["value"] for p in body["results"]}

    def test_what_the_course_components_read(self, client):
        preferences = self.preferences(client)

        assert preferences["configurations.courses_enabled"] is True
        assert preferences["configurations.courses_only_staff_enabled"] is False
        assert preferences["configurations.content_availability"] is False
        assert preferences["configurations.courses_advanced_enabled"] is True
        for name in ("colorsecondary", "navbarback"):
            assert re.fullmatch("#[0-9a-f]{6}", preferences[f"colors.{name}"])
        templates = [name for name in preferences if name.startswith("configurations.url_template_")]
        assert len(templates) == 12
        assert all(preferences[name].startswith("/") for name in templates)

    def test_the_default_cover_loads(self, client):
        cover = self.preferences(client)["images.user_default_cover"]

        assert cover.startswith("http://testserver/api/v2/")
        response = client.get(cover.removeprefix("http://testserver"))
        assert (response.status_code, response.headers["content-type"]) == (200, "image/webp")

    def test_ids_are_distinct(self, client):
        results = client.get(f"{API}/dynamic_preference/").json()["results"]

        assert len({p["id"] for p in results}) == len(results)

    def test_needs_no_token_and_ignores_a_bad_one(self, client):
        assert self.preferences(client, headers={"Authorization": "Bearer nonsense"})

    def test_features(self, client):
        response = client.get(f"{API}/feature/", headers={"Authorization": "Bearer nonsense"})

        assert response.status_code == 200, response.text
        assert response.json() == {
            "count": 1,
            "next": None,
            "previous": None,
            "results": [{"id": 1, "name": "course", "enabled": True}],
        }


class TestNeutralPicture:
    def test_a_course_without_a_picture_names_the_neutral_one(self, client, make, alice):
        course = make.course(alice)

        body = client.get(course_url(course), headers=auth(alice)).json()

        for field, size in {"image_bigger": 1024, "image_big": 512, "image_medium": 256, "image_small": 96}.items():
            assert body[field] == f"http://testserver/api/v2/media/default/course-{size}.webp"
            response = client.get(body[field].removeprefix("http://testserver"))
            assert response.status_code == 200
            assert response.content == neutral_picture(size)
            assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WEBP"
            assert response.headers["cache-control"] == "public, max-age=86400"

    def test_revalidates_with_its_tag(self, client):
        url = f"{API}/media/default/course-96.webp"
        tag = client.get(url).headers["etag"]

        response = client.get(url, headers={"If-None-Match": tag})

        assert (response.status_code, response.content) == (304, b"")

    @pytest.mark.parametrize("file", ["course-97.webp", "course-96.png", "..%2Fcourse-96.webp"])
    def test_other_names_are_refused(self, client, file):
        assert client.get(f"{API}/media/default/{file}").status_code in (400, 404)


@pytest.fixture
def open_client(app, database_url, tmp_path):
    """A client of the service run with CONTENT_AVAILABILITY=true, on the test database."""
    visitors = create_app(
        Settings(
            database_url=database_url,
            media_root=tmp_path,
            jwt_secret=SECRET,
            content_availability=True,
            validate_responses=True,
            allowed_hosts=("testserver",),
        )
    )
    with visitors.test_client() as client:
        yield client


class TestVisitors:
    @pytest.fixture
    def courses(self, make, alice, bob):
        return {
            privacy: make.course(alice, privacy=privacy, joined=[bob], name=f"Course {privacy or 'draft'}", sections=1)
            for privacy in ("open", "private", "secret", "")
        }

    def test_search_shows_open_and_private_courses_as_to_a_stranger(self, open_client, courses):
        response = open_client.get(SEARCH)

        assert response.status_code == 200, response.text
        shown = {c["id"]: c for c in response.json()["results"]}
        assert set(shown) == {courses["open"].id, courses["private"].id}
        assert "revision" in shown[courses["open"].id] and "revision" not in shown[courses["private"].id]
        assert {c["join_status"] for c in shown.values()} == {None}

    def test_a_course_reads_as_to_a_stranger(self, open_client, make, courses):
        make.lesson(courses["open"].sections[0])

        body = open_client.get(course_url(courses["open"])).json()

        assert body["join_status"] is None
        assert [lesson["lock"]["reason"] for lesson in body["sections"][0]["lessons"]] == ["not_joined"]
        assert "sections" not in open_client.get(course_url(courses["private"])).json()
        for hidden in ("secret", ""):
            problem(open_client.get(course_url(courses[hidden])), 404)

    def test_the_member_list_of_an_open_course(self, open_client, courses, bob):
        response = open_client.get(course_url(courses["open"], "join"))

        assert response.status_code == 200, response.text
        assert [user["id"] for user in response.json()["results"]] == [bob.id]

    def test_categories(self, open_client, make):
        make.category("Art")

        assert open_client.get(f"{API}/category/").json()["count"] == 1

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", COURSES),
            ("GET", f"{API}/user/me/"),
            ("POST", f"{COURSES}{{id}}/join/"),
            ("GET", f"{COURSES}{{id}}/status/"),
            ("GET", f"{COURSES}{{id}}/section/"),
            ("GET", f"{API}/user/1/courses/"),
        ],
    )
    def test_everything_else_still_needs_a_token(self, open_client, courses, method, path):
        problem(open_client.request(method, path.format(id=courses["open"].id)), 401)

    def test_editor_views_are_refused_to_visitors(self, open_client, courses):
        problem(open_client.get(course_url(courses["open"]), params={"view": "edit"}), 403)

    @pytest.mark.parametrize(
        "authorization", ["Bearer nonsense", "Token nonsense", "Basic YTpi", f"Bearer {make_token(1, ttl=-60)}", ""]
    )
    def test_a_bad_token_is_a_401_never_a_visitor(self, open_client, courses, authorization):
        response = open_client.get(SEARCH, headers={"Authorization": authorization})

        problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("path", [SEARCH, f"{COURSES}{{id}}/", f"{COURSES}{{id}}/join/", f"{API}/category/"])
    def test_without_the_setting_visitors_get_401(self, client, courses, path):
        response = client.get(path.format(id=courses["open"].id))

        problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")

    def test_a_token_still_counts_with_the_setting_on(self, open_client, courses, bob):
        shown = {c["id"]: c["join_status"] for c in open_client.get(SEARCH, headers=auth(bob)).json()["results"]}

        assert shown[courses["secret"].id] == "joined"
