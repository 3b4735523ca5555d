"""Handlers of the `media` tag: the files of course pictures."""

import hashlib

import flask

from api.errors import NotFound
from api.pictures import images
from api.pictures.course_pictures import storage
from api.web.preconditions import not_modified_by_tag

# A name is only ever given to one content (it holds the content's digest), so caches may keep it for a year.
CACHING = {"Cache-Control": "public, max-age=31536000, immutable"}


def get(course_id, file):
    key = f"course/{course_id}/{file}"
    headers = {"ETag": f'"{file.removesuffix(".webp")}"'} | CACHING
    not_modified = not_modified_by_tag(headers["ETag"], headers)
    if not_modified is not None:
        # Only a question of existence: opening the object would start a transfer we would then drop.
        if not storage().exists(key):
            raise NotFound("No such file.")
        return not_modified
    opened = storage().open(key)
    if opened is None:
        raise NotFound("No such file.")
    # Streamed in chunks from the store, so a worker never holds a whole object, however large.
    response = flask.Response(opened.chunks, status=200, mimetype="image/webp", headers=headers)
    response.content_length = opened.size
    return response


# The neutral picture may change with a release of this service, under the same name: a day, then revalidate.
DEFAULT_CACHING = {"Cache-Control": "public, max-age=86400"}


def default(file):
    """The neutral picture that courses without one show."""
    data = images.neutral_picture(int(file.removeprefix("course-").removesuffix(".webp")))
    headers = {"ETag": f'"{hashlib.sha256(data).hexdigest()[:32]}"'} | DEFAULT_CACHING
    return not_modified_by_tag(headers["ETag"], headers) or flask.Response(data, mimetype="image/webp", headers=headers)
