"""Course pictures: uploads in every accepted form, their renditions, the files behind them, and bad input."""

import base64
import io
import re
import secrets
import struct
import urllib.request
import zlib

import httpx
import pytest
from PIL import Image

from api import cli
from api.app import create_app, settings_of_app
from api.config import ConfigurationError, Settings, check
from api.pictures import s3_storage, storage
from api.pictures.s3_storage import S3Storage
from models import Course
from tests.support.data import media_files
from tests.support.http import COURSES, course_url, error_codes, problem
from tests.support.live import live_service
from tests.support.seaweed import BUCKET
from tests.support.tokens import SECRET, auth, make_token

RENDITIONS = {"image_bigger": 1024, "image_big": 512, "image_medium": 256, "image_small": 96}
RED, BLUE = (220, 20, 20), (20, 20, 220)


def picture(fmt="PNG", size=(300, 200), color=RED, mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def halves(size=(300, 200)) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries almost no data: a decompression bomb's header."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


# (content, declared type, status, code) of each bad picture.
_BAD = {
    "not-an-image": (b"plain text, not a picture", "image/png", 400, "invalid_image"),
    "truncated-png": (picture("PNG")[:200], "image/png", 400, "invalid_image"),
    "truncated-jpeg": (picture("JPEG", size=(400, 400))[:300], "image/jpeg", 400, "invalid_image"),
    "1x1": (picture("PNG", size=(1, 1)), "image/png", 400, "too_small"),
    "too-narrow": (picture("PNG", size=(500, 50)), "image/png", 400, "too_small"),
    "bomb-20000x20000": (png_header_only(20_000, 20_000), "image/png", 400, "too_many_pixels"),
    "png-declared-jpeg": (picture("PNG"), "image/jpeg", 400, "type_mismatch"),
    "jpeg-declared-webp": (picture("JPEG"), "image/webp", 400, "type_mismatch"),
    "empty-file-part": (b"", "image/png", 400, "empty"),
    "svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", 415, "unsupported_media_type"),
    "octet-stream": (picture("PNG"), "application/octet-stream", 415, "unsupported_media_type"),
    "bmp": (picture("BMP"), "image/bmp", 415, "unsupported_media_type"),
    "bmp-declared-png": (picture("BMP"), "image/png", 400, "invalid_image"),
}
# Each goes in as a multipart file part, and, where the spec lets such a data URL through, in JSON.
BAD_PICTURES = [
    pytest.param(how, *case, id=f"{how}-{name}")
    for name, case in _BAD.items()
    for how in ("multipart", "json")
    if how == "multipart" or case[1] in ("image/png", "image/jpeg", "image/webp", "image/gif")
]


def data_url(content: bytes, media_type="image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def upload(content: bytes, media_type="image/png", name="cover"):
    return {"image_original": (name, content, media_type)}


def fetch(client, url):
    """GET a media URL of this API through the test client."""
    assert url.startswith("http://testserver/api/v2/media/"), url
    return client.get(url.removeprefix("http://testserver"))


def create(client, user, content=None, media_type="image/png", **fields):
    data = {"name": "Pictured", "type": "self-paced"} | fields
    return client.post(COURSES, data=data, files=upload(content or picture(), media_type), headers=auth(user))


def course_row(db, course_id):
    db.expire_all()
    return db.get(Course, course_id)


class TestUploads:
    @pytest.mark.parametrize(
        "content, media_type",
        [
            (picture("JPEG"), "image/jpeg"),
            (picture("PNG"), "image/png"),
            (picture("WEBP"), "image/webp"),
            (picture("GIF", mode="P", color=1), "image/gif"),
        ],
        ids=["jpeg", "png", "webp", "gif"],
    )
    def test_every_format_gives_square_webp_renditions_of_the_documented_sizes(
        self, client, alice, app, content, media_type
    ):
        response = create(client, alice, content, media_type)

        assert response.status_code == 201, response.text
        body = response.json()
        for field, edge in RENDITIONS.items():
            served = fetch(client, body[field])
            assert served.status_code == 200
            assert served.headers["content-type"] == "image/webp"
            with Image.open(io.BytesIO(served.content)) as rendition:
                assert (rendition.format, rendition.size) == ("WEBP", (edge, edge))
        assert len(media_files(app)) == 4

    def test_an_animated_gif_gives_its_first_frame(self, client, alice):
        frames = [Image.new("RGB", (120, 120), color) for color in (RED, BLUE, BLUE)]
        out = io.BytesIO()
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

        response = create(client, alice, out.getvalue(), "image/gif")

        with Image.open(io.BytesIO(fetch(client, response.json()["image_small"]).content)) as rendition:
            red, green, blue = rendition.convert("RGB").getpixel((48, 48))
        assert red > 150 and blue < 100

    def test_the_centre_square_is_kept(self, client, alice):
        """A wide picture red | blue | red loses its sides: the middle third is all that remains."""
        image = Image.new("RGB", (300, 100), RED)
        image.paste(BLUE, (100, 0, 200, 100))
        out = io.BytesIO()
        image.save(out, "PNG")

        response = create(client, alice, out.getvalue())

        with Image.open(io.BytesIO(fetch(client, response.json()["image_medium"]).content)) as rendition:
            rgb = rendition.convert("RGB")
            for point in [(2, 2), (128, 128), (253, 253)]:
                red, _, blue = rgb.getpixel(point)
                assert blue > 150 and red < 100, point

    def test_exif_orientation_is_applied(self, client, alice):
        """Stored left red, right blue, with orientation 6 (turn 90 degrees clockwise to view): top red, bottom blue."""
        exif = Image.Exif()
        exif[0x0112] = 6
        out = io.BytesIO()
        halves().save(out, "JPEG", exif=exif.tobytes(), quality=95)

        response = create(client, alice, out.getvalue(), "image/jpeg")

        with Image.open(io.BytesIO(fetch(client, response.json()["image_small"]).content)) as rendition:
            rgb = rendition.convert("RGB")
            top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 90))
        assert top[0] > 150 and top[2] < 100, top
        assert bottom[2] > 150 and bottom[0] < 100, bottom

    def test_metadata_of_the_upload_is_not_kept(self, client, alice):
        exif = Image.Exif()
        exif[0x010F] = "Camera maker"
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
        icc = b"\0" * 128
        out = io.BytesIO()
        halves().save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc)
        with Image.open(io.BytesIO(out.getvalue())) as original:
            assert original.getexif() and original.info.get("icc_profile")

        response = create(client, alice, out.getvalue(), "image/jpeg")

        for field in RENDITIONS:
            with Image.open(io.BytesIO(fetch(client, response.json()[field]).content)) as rendition:
                assert not rendition.getexif()
                assert not {"exif", "icc_profile", "xmp"} & set(rendition.info)
            assert b"Camera maker" not in fetch(client, response.json()[field]).content

    def test_transparency_survives(self, client, alice):
        response = create(client, alice, picture("PNG", mode="RGBA", color=(0, 0, 0, 0)))

        with Image.open(io.BytesIO(fetch(client, response.json()["image_small"]).content)) as rendition:
            assert rendition.convert("RGBA").getpixel((48, 48))[3] == 0

    def test_sdk_style_form_with_indexed_categories(self, client, alice, make, db):
        """What the web app sends: `categories[0]`, `categories[1]` text parts and the file part."""
        first, second = make.category("Art"), make.category("Photography")
        data = {
            "name": "Pictured",
            "type": "structured",
            "categories[0]": str(first.id),
            "categories[1]": str(second.id),
        }

        response = client.post(COURSES, data=data, files=upload(picture()), headers=auth(alice))

        assert response.status_code == 201, response.text
        body = response.json()
        assert [c["id"] for c in body["categories"]] == [first.id, second.id]
        assert body["type"] == "structured" and "/media/course/" in body["image_big"]
        assert course_row(db, body["id"]).image_digest

    def test_repeated_categories_and_typed_text_parts(self, client, alice, make):
        first, second = make.category("Art"), make.category("Photography")
        data = {
            "name": "Pictured",
            "type": "self-paced",
            "categories": [str(first.id), str(second.id)],
            "hide_member_count": "true",
            "meta_title": "null",
        }

        response = client.post(COURSES, data=data, files=upload(picture()), headers=auth(alice))

        assert response.status_code == 201, response.text
        body = response.json()
        assert len(body["categories"]) == 2 and body["hide_member_count"] is True and body["meta_title"] is None

    def test_multipart_without_a_file_changes_text_fields(self, client, alice, make):
        course = make.course(alice)

        response = client.patch(course_url(course), files={"og_title": (None, "Shared title")}, headers=auth(alice))

        assert response.status_code == 200, response.text
        assert response.json()["og_title"] == "Shared title"
        assert response.json()["image_small"].endswith("/media/default/course-96.webp")

    def test_a_file_part_without_a_filename_is_a_file(self, client, alice, make):
        # RFC 7578 makes `filename` optional: the part's own type says it is not text.
        course = make.course(alice)

        response = client.patch(
            course_url(course), files={"image_original": (None, picture(), "image/png")}, headers=auth(alice)
        )

        assert response.status_code == 200, response.text
        assert "/media/course/" in response.json()["image_small"]

    def test_json_data_url_sets_the_picture(self, client, alice, make, app):
        course = make.course(alice)

        response = client.patch(
            course_url(course), json={"image_original": data_url(picture("WEBP"), "image/webp")}, headers=auth(alice)
        )

        assert response.status_code == 200, response.text
        assert all(response.json()[field] for field in RENDITIONS)
        assert len(media_files(app)) == 4

    def test_form_body_data_url_sets_the_picture(self, client, alice, make):
        course = make.course(alice)

        response = client.patch(course_url(course), data={"image_original": data_url(picture())}, headers=auth(alice))

        assert response.status_code == 200, response.text
        assert "/media/course/" in response.json()["image_small"]

    def test_the_same_upload_twice_keeps_the_same_urls(self, client, alice, make):
        course = make.course(alice)
        first = client.patch(course_url(course), files=upload(picture()), headers=auth(alice)).json()

        second = client.patch(course_url(course), files=upload(picture()), headers=auth(alice)).json()

        assert second["image_big"] == first["image_big"]
        assert second["revision"] == first["revision"] + 1


class TestFilesFollowTheCourse:
    def test_a_new_picture_replaces_the_old_files(self, client, alice, app):
        created = create(client, alice, picture(color=RED)).json()
        old = fetch(client, created["image_big"])

        changed = client.patch(course_url(created["id"]), files=upload(picture(color=BLUE)), headers=auth(alice))

        assert changed.status_code == 200
        assert changed.json()["image_big"] != created["image_big"]
        assert old.status_code == 200 and fetch(client, created["image_big"]).status_code == 404
        assert fetch(client, changed.json()["image_big"]).status_code == 200
        assert len(media_files(app)) == 4

    @pytest.mark.parametrize(
        "removal",
        [
            {"json": {"image_original": None}},
            {"json": {"image_original": ""}},
            {"files": {"image_original": (None, "null")}},
            {"data": {"image_original": ""}},
        ],
        ids=["json-null", "json-empty", "multipart-null", "form-empty"],
    )
    def test_null_removes_the_picture_and_its_files(self, client, alice, app, db, removal):
        created = create(client, alice).json()

        response = client.patch(course_url(created["id"]), headers=auth(alice), **removal)

        assert response.status_code == 200, response.text
        assert all(
            response.json()[field].endswith(f"/media/default/course-{size}.webp") for field, size in RENDITIONS.items()
        )
        assert course_row(db, created["id"]).image_digest is None
        assert media_files(app) == []
        assert fetch(client, created["image_small"]).status_code == 404

    def test_put_without_the_field_keeps_the_picture(self, client, alice, app):
        created = create(client, alice).json()

        response = client.put(
            course_url(created["id"]), json={"name": "Renamed", "type": "structured"}, headers=auth(alice)
        )

        assert response.status_code == 200
        assert response.json()["image_big"] == created["image_big"]
        assert len(media_files(app)) == 4

    def test_deleting_the_course_deletes_its_files(self, client, alice, app):
        created = create(client, alice).json()

        assert client.delete(course_url(created["id"]), headers=auth(alice)).status_code == 204

        assert media_files(app) == []
        assert fetch(client, created["image_bigger"]).status_code == 404

    def test_a_request_that_fails_after_writing_files_leaves_none(self, client, alice, make, app, db):
        """The name clash is found after the new files were written; the rollback must take them back."""
        make.course(alice, name="Taken")
        created = create(client, alice).json()
        before = media_files(app)

        response = client.patch(
            course_url(created["id"]), data={"name": "Taken"}, files=upload(picture(color=BLUE)), headers=auth(alice)
        )

        problem(response, 409)
        assert media_files(app) == before
        assert course_row(db, created["id"]).revision == created["revision"]

    def test_leftovers_of_an_interrupted_write_are_swept(self, client, alice, app):
        created = create(client, alice).json()
        root = settings_of_app(app).media_root
        leftover = root / "course" / str(created["id"]) / f"{storage.TEMP_PREFIX}crashed"
        leftover.write_bytes(b"half a file")

        client.patch(course_url(created["id"]), files=upload(picture(color=BLUE)), headers=auth(alice))

        assert not leftover.exists()
        assert len(media_files(app)) == 4

    def test_an_interrupted_write_leaves_nothing(self, tmp_path, monkeypatch):
        store = storage.LocalStorage(tmp_path)

        def crash(*_args):
            raise OSError("disk full")

        monkeypatch.setattr(storage.os, "replace", crash)
        with pytest.raises(OSError):
            store.put("course/1/a-96.webp", b"data")

        assert [p for p in tmp_path.rglob("*") if p.is_file()] == []

    def test_storage_keys_cannot_leave_the_root(self, tmp_path):
        store = storage.LocalStorage(tmp_path)
        for key in ["../outside", "course/../../x", "/etc/passwd", "course//x", ""]:
            with pytest.raises(ValueError):
                store.put(key, b"x")


class TestBadPictures:
    """Every refused picture: the exact status and code, the course as it was, no file left behind."""

    @pytest.mark.parametrize("how, content, media_type, status, code", BAD_PICTURES)
    def test_is_refused_and_changes_nothing(self, client, alice, app, db, content, media_type, status, code, how):
        created = create(client, alice).json()
        digest, files_before = course_row(db, created["id"]).image_digest, media_files(app)
        if how == "multipart":
            request = {"files": upload(content, media_type), "data": {"name": "Changed"}}
        else:
            request = {"json": {"image_original": data_url(content, media_type), "name": "Changed"}}

        response = client.patch(course_url(created["id"]), headers=auth(alice), **request)

        body = problem(response, status)
        if not (how == "json" and code == "empty"):  # an empty data URL fails the spec's pattern first
            assert error_codes(body) == {"image_original": [code]}
        row = course_row(db, created["id"])
        assert (row.revision, row.name, row.image_digest) == (created["revision"], "Pictured", digest)
        assert media_files(app) == files_before
        assert fetch(client, created["image_big"]).status_code == 200

    def test_a_picture_over_the_limit_is_too_large(self, client, alice, app, settings, monkeypatch):
        monkeypatch.setattr(settings, "max_image_bytes", 50_000)
        created = create(client, alice).json()

        response = client.patch(course_url(created["id"]), files=upload(b"\0" * 50_001), headers=auth(alice))

        assert error_codes(problem(response, 413)) == {"image_original": ["too_large"]}
        assert len(media_files(app)) == 4

    def test_a_data_url_over_the_limit_is_too_large(self, client, alice, settings, monkeypatch):
        monkeypatch.setattr(settings, "max_image_bytes", 50_000)

        response = client.post(
            COURSES,
            json={"name": "Big", "type": "self-paced", "image_original": data_url(b"\0" * 60_000)},
            headers=auth(alice),
        )

        assert error_codes(problem(response, 413)) == {"image_original": ["too_large"]}

    def test_a_body_far_over_the_limit_is_not_read(self, client, alice, settings, monkeypatch):
        monkeypatch.setattr(settings, "max_image_bytes", 50_000)
        monkeypatch.setattr(settings, "max_body_bytes", 10_000)

        response = create(client, alice, b"\0" * 200_000)

        assert error_codes(problem(response, 413)) == {None: ["too_large"]}

    def test_the_default_limit_is_ten_mebibytes(self, client, alice):
        content = b"\0" * (10 * 1024 * 1024 + 1)

        response = create(client, alice, content)

        assert error_codes(problem(response, 413)) == {"image_original": ["too_large"]}

    def test_two_pictures_are_refused(self, client, alice):
        files = [("image_original", ("a", picture(), "image/png")), ("image_original", ("b", picture(), "image/png"))]

        response = client.post(COURSES, data={"name": "Two", "type": "self-paced"}, files=files, headers=auth(alice))

        assert error_codes(problem(response, 400)) == {"image_original": ["invalid"]}

    def test_a_file_for_a_text_field_is_refused(self, client, alice):
        response = client.post(
            COURSES, data={"type": "self-paced"}, files={"name": ("n.txt", b"Name", "text/plain")}, headers=auth(alice)
        )

        assert error_codes(problem(response, 400)) == {"name": ["invalid"]}

    def test_text_that_is_not_a_picture_is_refused(self, client, alice):
        response = client.post(
            COURSES,
            files={"name": (None, "T"), "type": (None, "self-paced"), "image_original": (None, "hello")},
            headers=auth(alice),
        )

        assert error_codes(problem(response, 400)) == {"image_original": ["invalid"]}

    @pytest.mark.parametrize(
        "value", ["data:image/png;base64,!!!!", "data:text/plain;base64,aGVsbG8=", "https://example.com/a.png"]
    )
    def test_malformed_data_urls_are_refused(self, client, alice, value):
        response = client.post(
            COURSES, json={"name": "X", "type": "self-paced", "image_original": value}, headers=auth(alice)
        )

        problem(response, 400)

    def test_bad_base64_in_a_well_formed_data_url_is_refused(self, client, alice):
        response = client.post(
            COURSES,
            json={"name": "X", "type": "self-paced", "image_original": "data:image/png;base64,abc"},
            headers=auth(alice),
        )

        assert error_codes(problem(response, 400)) == {"image_original": ["invalid"]}

    @pytest.mark.parametrize(
        "content",
        [
            b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nX\r\n',  # no closing boundary
            b"--b\r\nContent-Type: text/plain\r\n\r\nX\r\n--b--\r\n",  # no name
            b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\ncaf\xe9\r\n--b--\r\n',  # not UTF-8
        ],
        ids=["cut-short", "nameless-part", "latin-1"],
    )
    def test_malformed_multipart_is_refused(self, client, alice, db, content):
        response = client.post(
            COURSES, content=content, headers=auth(alice) | {"Content-Type": "multipart/form-data; boundary=b"}
        )

        assert error_codes(problem(response, 400)) == {None: ["parse_error"]}
        assert db.query(Course).count() == 0


class TestServingFiles:
    def test_files_are_cached_for_good_and_revalidated(self, client, alice):
        url = create(client, alice).json()["image_small"]

        first = fetch(client, url)
        again = client.get(url.removeprefix("http://testserver"), headers={"If-None-Match": first.headers["etag"]})

        assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == first.headers["etag"]

    def test_no_token_is_needed(self, client, alice):
        url = create(client, alice).json()["image_small"]

        assert "authorization" not in {k.lower() for k in client.headers}
        assert fetch(client, url).status_code == 200

    def test_unknown_files_are_not_found(self, client):
        problem(client.get(f"/api/v2/media/course/1/{'0' * 32}-96.webp"), 404)

    @pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "x.webp", f"{'0' * 32}-97.webp", f"{'0' * 32}-96.png"])
    def test_names_that_cannot_exist_are_refused(self, client, name):
        response = client.get(f"/api/v2/media/course/1/{name}")

        assert response.status_code in (400, 404)
        problem(response, response.status_code)


class TestPublicUrls:
    def test_forwarded_headers_are_ignored_by_default(self, client, alice):
        response = create(client, alice)
        forwarded = client.get(
            course_url(response.json()["id"]),
            headers=auth(alice) | {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
        )

        assert forwarded.json()["image_small"].startswith("http://testserver/api/v2/media/")

    def test_forwarded_headers_count_behind_a_trusted_proxy(self, client, alice, settings, monkeypatch):
        monkeypatch.setattr(settings, "trust_proxy", True)
        monkeypatch.setattr(settings, "allowed_hosts", ("testserver", "courses.example"))
        course_id = create(client, alice).json()["id"]

        forwarded = client.get(
            course_url(course_id),
            headers=auth(alice) | {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "courses.example, inner.local"},
        )

        assert forwarded.json()["image_small"].startswith("https://courses.example/api/v2/media/course/")

    def test_a_media_url_setting_points_elsewhere(self, client, alice, settings, monkeypatch):
        monkeypatch.setattr(settings, "media_url", "https://cdn.example/media")

        body = create(client, alice).json()

        assert body["image_small"].startswith(f"https://cdn.example/media/course/{body['id']}/")
        assert body["image_small"].endswith("-96.webp")


def s3_settings(database_url, seaweed, **overrides) -> Settings:
    """The test app's settings with pictures in the test run's SeaweedFS bucket, under a prefix of their own."""
    return Settings(
        database_url=database_url,
        jwt_secret=SECRET,
        jwt_leeway=0,
        validate_responses=True,
        courses_only_staff=False,
        allowed_hosts=("testserver",),
        **{
            "media_storage": "s3",
            "media_s3_bucket": BUCKET,
            "media_s3_endpoint_url": seaweed.endpoint_url,
            "media_s3_prefix": f"pictures-{secrets.token_hex(6)}",
        }
        | overrides,
    )


@pytest.fixture(scope="module")
def shared_s3_app(shared_app, seaweed):
    """One app on the S3 store for these tests (building one takes seconds), over the test database.

    boto3 finds its credentials in the environment, as in a deployment; they are read when the
    app's client is made.
    """
    with pytest.MonkeyPatch.context() as env:
        for name, value in seaweed.credentials().items():
            env.setenv(name, value)
        # Without credentials boto3 would ask an instance-metadata address; only loopback is ever asked here.
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        s3_app = create_app(s3_settings(settings_of_app(shared_app).database_url, seaweed))
    yield s3_app
    s3_app.app.extensions["course_api.engine"].dispose()


@pytest.fixture
def s3_app(app, shared_s3_app, monkeypatch):
    """The S3 app with an empty database and a prefix of its own: the bucket as each test starts it."""
    prefix = f"pictures-{secrets.token_hex(6)}"
    client = shared_s3_app.app.extensions["course_api.media"].client
    monkeypatch.setitem(shared_s3_app.app.extensions, "course_api.media", S3Storage(BUCKET, prefix, client=client))
    monkeypatch.setattr(settings_of_app(shared_s3_app), "media_s3_prefix", prefix)
    return shared_s3_app


@pytest.fixture
def s3_client(s3_app):
    with s3_app.test_client() as client:
        yield client


def bucket_keys(s3_app, seaweed) -> list[str]:
    """The app's objects in the bucket, as the server lists them, without the store's prefix."""
    store = s3_app.app.extensions["course_api.media"]
    return [key.removeprefix(store.prefix) for key in seaweed.keys(store.prefix)]


def rendition_keys(body) -> list[str]:
    return sorted(body[field].split("/api/v2/media/", 1)[1] for field in RENDITIONS)


class TestPicturesOnS3:
    def test_a_picture_is_stored_in_the_bucket_and_served_from_it(self, s3_client, s3_app, seaweed, alice, app):
        response = create(s3_client, alice)

        assert response.status_code == 201, response.text
        body = response.json()
        keys = rendition_keys(body)
        assert bucket_keys(s3_app, seaweed) == keys
        assert all(key.startswith(f"course/{body['id']}/") for key in keys)
        assert media_files(app) == []  # nothing went to the local folder
        store = s3_app.app.extensions["course_api.media"]
        for field, edge in RENDITIONS.items():
            served = fetch(s3_client, body[field])
            assert served.status_code == 200
            assert served.headers["content-type"] == "image/webp"
            stored = store.get(body[field].split("/api/v2/media/", 1)[1])
            assert served.content == stored
            assert served.headers["content-length"] == str(len(stored))
            with Image.open(io.BytesIO(served.content)) as rendition:
                assert rendition.size == (edge, edge)

    def test_media_are_streamed_from_the_bucket_in_chunks(self, s3_client, s3_app, alice, monkeypatch):
        url = create(s3_client, alice).json()["image_bigger"]
        store = s3_app.app.extensions["course_api.media"]
        monkeypatch.setattr(s3_storage, "CHUNK_BYTES", 1024)
        read = []
        opened_by_store = store.open

        def open_and_count(key):
            opened = opened_by_store(key)

            def counted():
                for chunk in opened.chunks:
                    read.append(len(chunk))
                    yield chunk

            return storage.Opened(opened.size, counted())

        def whole(_key):
            raise AssertionError("the media handler read a whole object")

        monkeypatch.setattr(store, "open", open_and_count)
        monkeypatch.setattr(store, "get", whole)

        served = fetch(s3_client, url)

        assert served.status_code == 200
        assert sum(read) == len(served.content) and len(read) > 1 and max(read) <= 1024

    def test_a_new_picture_removes_the_old_objects(self, s3_client, s3_app, seaweed, alice):
        created = create(s3_client, alice, picture(color=RED)).json()

        changed = s3_client.patch(course_url(created["id"]), files=upload(picture(color=BLUE)), headers=auth(alice))

        assert changed.status_code == 200
        assert bucket_keys(s3_app, seaweed) == rendition_keys(changed.json())
        assert set(rendition_keys(created)).isdisjoint(rendition_keys(changed.json()))
        assert fetch(s3_client, created["image_big"]).status_code == 404

    def test_a_request_that_fails_after_uploading_leaves_no_object(self, s3_client, s3_app, seaweed, alice, make, db):
        make.course(alice, name="Taken")
        created = create(s3_client, alice).json()

        response = s3_client.patch(
            course_url(created["id"]), data={"name": "Taken"}, files=upload(picture(color=BLUE)), headers=auth(alice)
        )

        problem(response, 409)
        assert bucket_keys(s3_app, seaweed) == rendition_keys(created)
        assert course_row(db, created["id"]).image_digest == rendition_keys(created)[0].split("/")[2].split("-")[0]

    def test_a_failed_first_picture_leaves_the_bucket_empty(self, s3_client, s3_app, seaweed, alice, make):
        make.course(alice, name="Taken")

        problem(create(s3_client, alice, name="Taken"), 409)

        assert bucket_keys(s3_app, seaweed) == []

    def test_removing_the_picture_or_the_course_removes_the_objects(self, s3_client, s3_app, seaweed, alice):
        removed = create(s3_client, alice, name="Removed").json()
        deleted = create(s3_client, alice, name="Deleted", content=picture(color=BLUE)).json()

        s3_client.patch(course_url(removed["id"]), json={"image_original": None}, headers=auth(alice))
        s3_client.delete(course_url(deleted["id"]), headers=auth(alice))

        assert bucket_keys(s3_app, seaweed) == []

    def test_revalidation_and_unknown_files(self, s3_client, alice):
        url = create(s3_client, alice).json()["image_small"]
        first = fetch(s3_client, url)
        path = url.removeprefix("http://testserver")

        again = s3_client.get(path, headers={"If-None-Match": first.headers["etag"]})
        gone = s3_client.get(
            f"/api/v2/media/course/1/{'0' * 32}-96.webp", headers={"If-None-Match": f'"{"0" * 32}-96"'}
        )

        head = s3_client.head(path)
        assert again.status_code == 304 and again.content == b""
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == first.headers["content-length"]
        problem(gone, 404)
        problem(s3_client.get(f"/api/v2/media/course/1/{'0' * 32}-96.webp"), 404)

    @pytest.mark.parametrize("name", ["..%2F..%2Fprobe", "..", "x.webp"])
    def test_names_that_climb_are_refused(self, s3_client, name):
        response = s3_client.get(f"/api/v2/media/course/1/{name}")

        assert response.status_code in (400, 404)
        problem(response, response.status_code)

    def test_the_public_url_setting_hands_out_the_buckets_own_urls(
        self, s3_client, s3_app, seaweed, alice, monkeypatch
    ):
        public = f"{seaweed.endpoint_url}/{BUCKET}"
        monkeypatch.setattr(settings_of_app(s3_app), "media_s3_public_url", public)
        prefix = s3_app.app.extensions["course_api.media"].prefix

        body = create(s3_client, alice).json()

        for field, edge in RENDITIONS.items():
            url = body[field]
            assert url.startswith(f"{public}/{prefix}course/{body['id']}/") and url.endswith(f"-{edge}.webp")
            # Read the way a browser would: straight from the object store, with no credentials.
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.headers["Content-Type"] == "image/webp"
                with Image.open(io.BytesIO(answer.read())) as rendition:
                    assert rendition.size == (edge, edge)


class TestMediaSettings:
    @pytest.mark.parametrize(
        "settings, message",
        [
            ({"media_storage": "s3"}, "MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET"),
            ({"media_storage": "ftp"}, "MEDIA_STORAGE must be local or s3, not 'ftp'"),
            ({"media_s3_bucket": "pictures"}, "MEDIA_S3_BUCKET only apply with MEDIA_STORAGE=s3"),
            ({"media_s3_public_url": "https://cdn.example"}, "MEDIA_S3_PUBLIC_URL only apply with MEDIA_STORAGE=s3"),
            (
                {"media_storage": "s3", "media_s3_bucket": "b", "media_s3_endpoint_url": "127.0.0.1:8333"},
                "MEDIA_S3_ENDPOINT_URL must be an http(s) URL",
            ),
            (
                {"media_storage": "s3", "media_s3_bucket": "b", "media_s3_public_url": "cdn.example/x?y=1"},
                "MEDIA_S3_PUBLIC_URL must be an http(s) URL",
            ),
            ({"media_storage": "s3", "media_s3_bucket": "b", "media_s3_prefix": "a/../b"}, "MEDIA_S3_PREFIX must be"),
            ({"media_storage": "s3", "media_s3_bucket": "b", "media_s3_prefix": "a//b"}, "MEDIA_S3_PREFIX must be"),
            (
                {"media_storage": "s3", "media_s3_bucket": "b", "media_url": "https://cdn.example"},
                "set MEDIA_S3_PUBLIC_URL instead",
            ),
        ],
        ids=[
            "s3-without-bucket",
            "unknown-store",
            "bucket-with-local",
            "public-url-with-local",
            "endpoint-not-a-url",
            "public-url-not-a-url",
            "prefix-climbs",
            "prefix-empty-part",
            "media-url-with-s3",
        ],
    )
    def test_bad_combinations_are_refused_at_start(self, database_url, settings, message):
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            create_app(Settings(database_url=database_url, jwt_secret=SECRET, **settings))

    def test_the_environment_chooses_the_store(self, monkeypatch):
        monkeypatch.setenv("MEDIA_STORAGE", " S3 ")
        monkeypatch.setenv("MEDIA_S3_BUCKET", "pictures")
        monkeypatch.setenv("MEDIA_S3_PREFIX", "/prod/")
        monkeypatch.setenv("MEDIA_S3_PUBLIC_URL", "https://cdn.example/media/")

        settings = Settings(jwt_secret=SECRET)

        assert (settings.media_storage, settings.media_s3_bucket) == ("s3", "pictures")
        assert settings.media_s3_public_url == "https://cdn.example/media"
        check(settings)

    def test_serve_refuses_in_one_line(self, monkeypatch):
        monkeypatch.setenv("MEDIA_STORAGE", "s3")

        with pytest.raises(SystemExit, match="course-api: MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET"):
            cli.serve(Settings(jwt_secret=SECRET), "127.0.0.1", 0, 1)

    def test_a_trailing_slash_of_the_public_url_is_dropped(self):
        settings = Settings(
            jwt_secret=SECRET, media_storage="s3", media_s3_bucket="b", media_s3_public_url="https://cdn.example/"
        )

        assert settings.media_s3_public_url == "https://cdn.example"

    def test_local_stays_the_default(self, app):
        assert settings_of_app(app).media_storage == "local"
        assert isinstance(app.app.extensions["course_api.media"], storage.LocalStorage)


class TestServedLiveFromS3:
    def test_course_api_serve_streams_pictures_from_the_bucket(self, seaweed, tmp_path, monkeypatch):
        """The production path: settings from the environment, uvicorn, two workers, boto3 in each."""
        prefix = f"live-{secrets.token_hex(6)}"
        env = seaweed.credentials() | {
            "AWS_EC2_METADATA_DISABLED": "true",
            "MEDIA_STORAGE": "s3",
            "MEDIA_S3_BUCKET": BUCKET,
            "MEDIA_S3_ENDPOINT_URL": seaweed.endpoint_url,
            "MEDIA_S3_PREFIX": prefix,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with live_service("s3_live", tmp_path, [{"id": 1, "username": "alice"}]) as (server, _engine):
            headers = {"Authorization": f"Bearer {make_token(1)}"}
            created = httpx.post(
                f"{server.url}/course/",
                data={"name": "Live", "type": "self-paced"},
                files=upload(picture()),
                headers=headers,
                timeout=30,
            )
            assert created.status_code == 201, created.text
            body = created.json()

            store = S3Storage(BUCKET, prefix, client=seaweed.client())
            for field in RENDITIONS:
                key = body[field].split("/api/v2/media/", 1)[1]
                with httpx.stream("GET", body[field], timeout=30) as served:
                    content = served.read()
                assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
                assert content == store.get(key) and served.headers["content-length"] == str(len(content))
            assert sorted(seaweed.keys(f"{prefix}/")) == sorted(f"{prefix}/{key}" for key in rendition_keys(body))
