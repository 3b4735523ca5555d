"""Categories: list and create."""

import json

import pytest
from sqlalchemy import func, select

from models import Category
from tests.support.http import API, error_codes, problem
from tests.support.tokens import auth

CATEGORIES = f"{API}/category/"
FORM = "application/x-www-form-urlencoded"


def category_count(db):
    return db.scalar(select(func.count()).select_from(Category))


def row(category):
    return {
        "id": category.id,
        "name": category.name,
        "slug": category.slug,
        "active": category.active,
        "order": category.order,
    }


def page_of(response):
    assert response.status_code == 200, response.text
    return response.json()


class TestListCategories:
    def test_a_page_in_their_order_then_by_name(self, client, db, make, alice):
        made = {name: make.category(name) for name in ["Photography", "Art", "Music", "cooking"]}
        made["Photography"].order = 1
        db.commit()

        body = page_of(client.get(CATEGORIES, headers=auth(alice)))

        names = ["Art", "Music", "cooking", "Photography"]
        assert body == {"count": 4, "next": None, "previous": None, "results": [row(made[n]) for n in names]}

    def test_empty_list(self, client, alice):
        body = page_of(client.get(CATEGORIES, headers=auth(alice)))

        assert body == {"count": 0, "next": None, "previous": None, "results": []}

    @pytest.mark.parametrize(("active", "shown"), [("true", ["On"]), ("false", ["Off"]), (None, ["Off", "On"])])
    def test_active_filters(self, client, db, make, alice, active, shown):
        make.category("On")
        make.category("Off").active = False
        db.commit()

        body = page_of(client.get(CATEGORIES, params={"active": active} if active else {}, headers=auth(alice)))

        assert [c["name"] for c in body["results"]] == shown

    def test_search_ignores_case(self, client, make, alice):
        for name in ["Photography", "Art", "Photo 100%"]:
            make.category(name)

        found = page_of(client.get(CATEGORIES, params={"search": "PHOTO"}, headers=auth(alice)))
        percent = page_of(client.get(CATEGORIES, params={"search": "%"}, headers=auth(alice)))

        assert [c["name"] for c in found["results"]] == ["Photo 100%", "Photography"]
        assert [c["name"] for c in percent["results"]] == ["Photo 100%"]

    def test_the_front_end_follows_next_to_the_end(self, client, make, alice):
        names = sorted(f"C{n:02}" for n in range(25))
        for name in names:
            make.category(name)

        seen, url = [], f"{CATEGORIES}?active=true"
        while url:
            body = page_of(client.get(url.removeprefix("http://testserver"), headers=auth(alice)))
            seen += [c["name"] for c in body["results"]]
            url = body["next"]

        assert seen == names

    @pytest.mark.parametrize("query", ["active=yes", "limit=0", "limit=101", "offset=-1", "search=%00", "color=red"])
    def test_bad_parameters_are_a_400(self, client, alice, query):
        problem(client.get(f"{CATEGORIES}?{query}", headers=auth(alice)), 400)

    def test_requires_a_token(self, client):
        problem(client.get(CATEGORIES), 401)


class TestCreateCategory:
    def post(self, client, user, body):
        return client.post(CATEGORIES, json=body, headers=auth(user))

    def test_staff_creates_a_category_with_a_slug(self, client, staff):
        response = self.post(client, staff, {"name": "Landscape Photography"})

        assert response.status_code == 201, response.text
        body = response.json()
        assert body == {
            "id": body["id"],
            "name": "Landscape Photography",
            "slug": "landscape-photography",
            "active": True,
            "order": 0,
        }
        listed = client.get(CATEGORIES, headers=auth(staff)).json()
        assert listed["results"] == [body]

    @pytest.mark.parametrize("order", [7, "7"])
    def test_active_and_order_may_be_given(self, client, staff, order):
        body = self.post(client, staff, {"name": "Art", "active": False, "order": order}).json()

        assert (body["active"], body["order"]) == (False, 7)

    @pytest.mark.parametrize("order", [-1, 1_000_000_000, "07", "-1", " 7", "٧", 1.5, True])
    def test_a_bad_order_is_a_400(self, client, staff, order):
        body = problem(self.post(client, staff, {"name": "Art", "order": order}), 400)

        assert list(error_codes(body)) == ["order"]

    @pytest.mark.parametrize(
        ("name", "stored", "slug"),
        [("  Padded  ", "Padded", "padded"), ("Küche & Keller", "Küche & Keller", "kuche-keller")],
    )
    def test_trims_the_name_and_transliterates_the_slug(self, client, staff, name, stored, slug):
        body = self.post(client, staff, {"name": name}).json()

        assert (body["name"], body["slug"]) == (stored, slug)

    def test_similar_names_get_distinct_slugs(self, client, staff):
        first = self.post(client, staff, {"name": "Art"}).json()
        second = self.post(client, staff, {"name": "Art!"}).json()

        assert (first["slug"], second["slug"]) == ("art", "art-2")

    def test_non_staff_is_refused(self, client, alice, db):
        body = problem(self.post(client, alice, {"name": "Photography"}), 403)

        assert error_codes(body) == {None: ["permission_denied"]}
        assert category_count(db) == 0

    @pytest.mark.parametrize(
        ("existing", "duplicate"),
        [
            ("Photography", "photography"),
            ("Photography", "PHOTOGRAPHY"),
            ("Photography", " Photography "),
            ("Österreich", "ÖSTERREICH"),
            ("Österreich", "österreich"),
        ],
    )
    def test_name_is_unique_regardless_of_case(self, client, staff, make, db, existing, duplicate):
        make.category(existing)

        body = problem(self.post(client, staff, {"name": duplicate}), 409)

        assert error_codes(body) == {"name": ["unique"]}
        assert category_count(db) == 1

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({}, "name", "required"),
            ({"name": ""}, "name", "minLength"),
            ({"name": "   "}, "name", "pattern"),
            ({"name": "x" * 101}, "name", "maxLength"),
            ({"name": 7}, "name", "type"),
            ({"name": "Ok", "slug": "ok"}, "slug", "unknown_field"),
        ],
    )
    def test_refuses_an_invalid_body(self, client, staff, db, body, field, code):
        result = problem(self.post(client, staff, body), 400)

        assert list(error_codes(result)) == [field]
        assert code in error_codes(result)[field]
        assert category_count(db) == 0

    def test_reads_a_form_body(self, client, staff):
        response = client.post(CATEGORIES, content="name=Form+made", headers={**auth(staff), "Content-Type": FORM})

        assert response.status_code == 201, response.text
        assert response.json()["slug"] == "form-made"

    def test_reads_json_sent_under_the_form_header(self, client, staff):
        response = client.post(
            CATEGORIES, content=json.dumps({"name": "Disguised"}), headers={**auth(staff), "Content-Type": FORM}
        )

        assert response.status_code == 201, response.text
        assert response.json()["name"] == "Disguised"

    def test_body_without_content_type_is_refused(self, client, staff, db):
        problem(client.post(CATEGORIES, content=b'{"name": "x"}', headers=auth(staff)), 415)

        assert category_count(db) == 0
