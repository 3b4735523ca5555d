"""A course's picture: its files in the media store, the URLs that name them, and their clean-up.

A picture's renditions are stored as `course/<course id>/<digest>-<edge>.webp`. The digest is a keyed
hash of the uploaded bytes (see `api.pictures.images.file_name`), so a name always stands for the same content
and may be cached for ever.

Files are only written or deleted while the course row is locked (the request's own lock, or the
lock `sweep` takes), so a clean-up can never delete a file that a concurrent request is about to
reference.
"""

from functools import partial

from flask import current_app
from sqlalchemy import select

from api import database
from api.config import current_settings
from api.pictures.images import RENDITIONS, Picture
from api.pictures.storage import Storage, normal_prefix
from api.urls import api_url
from models import Course

MEDIA_PATH = "/media/"
# Where this API serves the neutral picture of courses without one (the spec's getDefaultMedia).
DEFAULT_PATH = "/media/default/"


def storage() -> Storage:
    return current_app.extensions["course_api.media"]


def folder(course_id: int) -> str:
    return f"course/{course_id}"


def file_keys(course_id: int, digest: str) -> dict[int, str]:
    return {size: f"{folder(course_id)}/{digest}-{size}.webp" for size in RENDITIONS.values()}


def set_picture(course: Course, picture: Picture | None) -> None:
    """Give a locked, flushed course a new picture (None: none); files the change orphans go after the transaction."""
    if picture is None and course.image_digest is None:
        return  # no picture before or after: no file to write or delete
    if picture is not None:
        store = storage()
        for size, key in file_keys(course.id, picture.digest).items():
            if not store.exists(key):
                store.put(key, picture.files[size])
    course.image_digest = picture.digest if picture else None
    database.after_transaction(partial(sweep, course.id))


def sweep(course_id: int) -> None:
    """Delete the course's files that its committed row does not name.

    That is the picture a change replaced or removed, all of them once the course is deleted, and
    whatever a failed request wrote before it was rolled back.
    """
    with database.own_transaction() as db:
        row = db.execute(
            select(Course.image_digest, Course.deleted).where(Course.id == course_id).with_for_update()
        ).first()
        keep = set()
        if row is not None and row.image_digest and not row.deleted:
            keep = set(file_keys(course_id, row.image_digest).values())
        store = storage()
        for key in store.list(folder(course_id)):
            if key not in keep:
                store.delete(key)
        db.commit()


def picture_urls(course: Course) -> dict[str, str | None]:
    """The `image_*` fields of a course representation; without a picture, the neutral one's URLs."""
    if not course.image_digest:
        return default_picture_urls()
    keys = file_keys(course.id, course.image_digest)
    settings = current_settings()
    if settings.media_storage == "s3" and settings.media_s3_public_url:
        # The bucket's own address names objects by their whole key, the store's prefix included.
        base = settings.media_s3_public_url + "/" + normal_prefix(settings.media_s3_prefix)
    elif settings.media_url:
        base = settings.media_url + "/"
    else:
        base = api_url(MEDIA_PATH)
    return {name: base + keys[size] for name, size in RENDITIONS.items()}


def default_picture_urls() -> dict[str, str]:
    """The URLs of the neutral picture, which this API serves itself whatever the media store."""
    return {name: api_url(f"{DEFAULT_PATH}{default_file(size)}") for name, size in RENDITIONS.items()}


def default_file(size: int) -> str:
    return f"course-{size}.webp"
