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


class TestListCategories:
    def test_lists_every_category_by_name(self, client, make, alice):
        made = {name: make.category(name) for name in ["Photography", "Art", "Music", "cooking"]}

        response = client.get(CATEGORIES, headers=auth(alice))

        assert response.status_code == 200, response.text
        names = ["Art", "Music", "Photography", "cooking"]
        assert response.json() == [{"id": made[n].id, "name": n, "slug": made[n].slug} for n in names]

    def test_empty_list(self, client, alice):
        response = client.get(CATEGORIES, headers=auth(alice))

        assert (response.status_code, response.json()) == (200, [])

    def test_requires_a_token(self, client):
        problem(client.get(CATEGORIES), 401)


class TestCreateCategory:
    def post(self, client, user, body):
        return client.post(CATEGORIES, json=body, headers=auth(user))

    def test_staff_creates_a_category_with_a_slug(self, client, staff):
        response = self.post(client, staff, {"name": "Landscape Photography"})

        assert response.status_code == 201, response.text
        body = response.json()
        assert body == {"id": body["id"], "name": "Landscape Photography", "slug": "landscape-photography"}
        listed = client.get(CATEGORIES, headers=auth(staff)).json()
        assert listed == [body]

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
