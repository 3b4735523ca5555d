"""Handlers of the `media` tag: the files of course pictures."""

from api.errors import NotFound
from api.pictures.course_pictures import storage
from api.web.preconditions import not_modified_by_tag

# A name is only ever given to one content (it holds the content's digest), so caches may keep it for a year.
CACHING = {"Cache-Control": "public, max-age=31536000, immutable"}


def get(course_id, file):
    data = storage().get(f"course/{course_id}/{file}")
    if data is None:
        raise NotFound("No such file.")
    headers = {"ETag": f'"{file.removesuffix(".webp")}"'} | CACHING
    return not_modified_by_tag(headers["ETag"], headers) or (data, 200, {"Content-Type": "image/webp"} | headers)
