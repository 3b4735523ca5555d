"""marshmallow schemas: how models are dumped, and which request fields are loaded.

The spec has already validated every request when these run; loading only picks the writable
fields (read-only ones that clients send back are dropped) and normalises them.
"""

from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from api.config import current_settings
from api.pictures import images
from api.rules.lesson_html import sanitise
from models.base import comparable_name


class _ModelSchema(Schema):
    """Dumps model objects, whose fields are plain attributes.

    marshmallow's own lookup also serves dicts and dotted paths, at three extra calls per field;
    a course with its sections has several hundred fields.
    """

    def get_attribute(self, obj, attr, default):
        return getattr(obj, attr, default)


class UserMinimalSchema(_ModelSchema):
    id = fields.Integer()
    username = fields.String()
    real_name = fields.String()
    avatar = fields.String(allow_none=True)
    community_badge = fields.Boolean()
    deleted = fields.Boolean()


class CurrentUserSchema(UserMinimalSchema):
    """The caller as the platform's `user/me` shows them (`permission` is added by the handler)."""

    date_joined = fields.AwareDateTime(attribute="created_at")
    # The web front end tells staff by the platform's `admin` role; no other role exists here.
    role = fields.Function(lambda user: "admin" if user.is_staff else None)
    # Only active users get this far (api.rules.access.current_user).
    status = fields.Constant("a")


class CategorySchema(_ModelSchema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    active = fields.Boolean()
    order = fields.Integer()


class LessonSchema(_ModelSchema):
    """What a lesson's own answers show besides its summary (`api.web.contents_json.lesson_summary`)."""

    course_id = fields.Integer()
    section_id = fields.Integer()
    html = fields.String()
    medias = fields.List(fields.Integer())
    created_at = fields.AwareDateTime()
    created_by = fields.Nested(UserMinimalSchema)
    revision = fields.Integer()


class CourseMinimalSchema(_ModelSchema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    type = fields.String()
    privacy = fields.String()
    hide_member_count = fields.Boolean()
    # Left out by `represent_course` where the course hides it from the caller.
    member_count = fields.Integer()
    meta_title = fields.String(allow_none=True)
    meta_description = fields.String(allow_none=True)
    og_title = fields.String(allow_none=True)
    og_description = fields.String(allow_none=True)
    og_image = fields.String(allow_none=True)
    deleted = fields.Boolean()
    created_at = fields.AwareDateTime()
    created_by = fields.Nested(UserMinimalSchema)
    categories = fields.List(fields.Nested(CategorySchema))


class CourseSchema(CourseMinimalSchema):
    description = fields.String()
    enforce_lessons_order = fields.Boolean()
    new_comment_notification_enabled = fields.Boolean()
    sections_order = fields.List(fields.Integer())
    revision = fields.Integer()


class _Trimmed(fields.String):
    """A name: without surrounding whitespace (`str.isspace`, the set the spec's `pattern` treats as
    blank), and refused when nothing of it would show.

    The spec's pattern can only name the invisible characters of the Basic Multilingual Plane; a name
    made of others (tag characters such as U+E0020, say) is caught here, where its comparison form is
    empty.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        if not comparable_name(name):
            raise ValidationError("The name must contain a visible character.")
        return name


class _UtcDateTime(fields.Field):
    """An RFC 3339 date-time (the spec has checked its form, `t` and `z` may be lower case), held in UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return datetime.fromisoformat(value.upper()).astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValidationError("This date-time is out of the supported range (years 1 to 9999 in UTC).")


class _CategoryRef(fields.Field):
    """A category id, or a Category object sent back as we returned it."""

    def _deserialize(self, value, attr, data, **kwargs):
        return value["id"] if isinstance(value, dict) else value


class _Picture(fields.Field):
    """`image_original`: a data URL becomes a checked `Picture`; null or "" asks to remove the picture (None)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not value:
            return None
        settings = current_settings()
        return images.from_data_url(value, settings.max_image_bytes, settings.max_image_pixels, settings.media_key)


class CourseLoadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _Trimmed()
    slug = fields.String()
    description = fields.String()
    type = fields.String()
    privacy = fields.String()
    enforce_lessons_order = fields.Boolean()
    new_comment_notification_enabled = fields.Boolean()
    hide_member_count = fields.Boolean()
    meta_title = fields.String(allow_none=True)
    meta_description = fields.String(allow_none=True)
    og_title = fields.String(allow_none=True)
    og_description = fields.String(allow_none=True)
    og_image = fields.String(allow_none=True)
    categories = fields.List(_CategoryRef())
    sections_order = fields.List(fields.Integer())
    image_original = _Picture(allow_none=True)


class SectionLoadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _Trimmed()
    dripped_at = _UtcDateTime(allow_none=True)
    drip_delay = fields.Integer()
    lessons_order = fields.List(fields.Integer())


class _SanitisedHtml(fields.String):
    """`text`, the editor's HTML, is stored as `html` with only what the allow-list keeps."""

    def _deserialize(self, value, attr, data, **kwargs):
        return sanitise(super()._deserialize(value, attr, data, **kwargs))


class LessonLoadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = _Trimmed()
    type = fields.String()
    status = fields.String()
    comments_enabled = fields.Boolean()
    html = _SanitisedHtml(data_key="text")
    section_id = fields.Integer()


class CategoryLoadSchema(Schema):
    name = _Trimmed()
    active = fields.Boolean()
    order = fields.Integer()


class RoleChangeSchema(Schema):
    managers = fields.List(fields.Integer())
    joined = fields.List(fields.Integer())
    unjoined = fields.List(fields.Integer())


class DashboardUserSchema(UserMinimalSchema):
    """An `api.rules.membership.Person`: its own fields, the others from the user it holds."""

    OWN = {"join_status", "joined_at", "last_active_at", "user_completion_rate"}
    join_status = fields.String()
    joined_at = fields.AwareDateTime(allow_none=True)
    last_active_at = fields.AwareDateTime(allow_none=True)
    user_completion_rate = fields.Integer()

    def get_attribute(self, obj, attr, default):
        return getattr(obj if attr in self.OWN else obj.user, attr, default)


class UserIdsSchema(Schema):
    users = fields.List(fields.Integer())
