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
from models.lesson import PUBLISHED


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


class CategorySchema(_ModelSchema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()


def _published(section) -> int:
    return sum(1 for lesson in section.lessons if lesson.status == PUBLISHED)


class LessonSummarySchema(_ModelSchema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    status = fields.String()
    comments_enabled = fields.Boolean()


class LessonSchema(LessonSummarySchema):
    course_id = fields.Integer()
    section_id = fields.Integer()
    html = fields.String()
    medias = fields.List(fields.Integer())
    created_at = fields.AwareDateTime()
    created_by = fields.Nested(UserMinimalSchema)
    revision = fields.Integer()


class LockSchema(_ModelSchema):
    reason = fields.String()
    available_at = fields.AwareDateTime(allow_none=True)


class SectionSchema(_ModelSchema):
    id = fields.Integer()
    name = fields.String()
    dripped_at = fields.AwareDateTime(allow_none=True)
    drip_delay = fields.Integer()
    lessons_order = fields.List(fields.Integer())
    num_lessons = fields.Function(_published)
    revision = fields.Integer()


class SectionDetailSchema(SectionSchema):
    lessons = fields.List(fields.Nested(LessonSummarySchema))


class LessonProgressSchema(LessonSummarySchema):
    """An `api.rules.progress.LessonState`: its own fields, the others from the lesson it holds."""

    OWN = {"completion_status", "locked", "lock"}
    completion_status = fields.String()
    locked = fields.Boolean()
    lock = fields.Nested(LockSchema, allow_none=True)

    def get_attribute(self, obj, attr, default):
        return getattr(obj if attr in self.OWN else obj.lesson, attr, default)


class SectionProgressSchema(SectionSchema):
    """An `api.rules.progress.SectionState`: its own fields, the others from the section it holds.

    Its `lessons_order` and `num_lessons` count the lessons shown, so a member never learns of drafts.
    """

    OWN = {"lessons_order", "num_lessons", "available_date", "locked", "lock", "num_lessons_completed", "lessons"}
    num_lessons = fields.Integer()
    available_date = fields.AwareDateTime(allow_none=True)
    locked = fields.Boolean()
    lock = fields.Nested(LockSchema, allow_none=True)
    num_lessons_completed = fields.Integer()
    lessons = fields.List(fields.Nested(LessonProgressSchema))

    def get_attribute(self, obj, attr, default):
        return getattr(obj if attr in self.OWN else obj.section, attr, default)


class CourseMinimalSchema(_ModelSchema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    type = fields.String()
    privacy = fields.String()
    hide_member_count = fields.Boolean()
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


class CourseDetailSchema(CourseSchema):
    sections = fields.List(fields.Nested(SectionDetailSchema))
    num_sections = fields.Function(lambda course: len(course.sections))
    num_lessons = fields.Function(lambda course: sum(len(section.lessons) for section in course.sections))


class NextLessonSchema(_ModelSchema):
    section_id = fields.Function(lambda state: state.lesson.section_id)
    lesson_id = fields.Function(lambda state: state.lesson.id)


class ProgressSchema(_ModelSchema):
    """What an `api.rules.progress.Progress` adds to a course (its sections are dumped one by one)."""

    num_sections = fields.Integer()
    num_lessons = fields.Integer()
    num_lessons_completed = fields.Integer()
    user_completion_rate = fields.Integer()
    completed_at = fields.AwareDateTime(allow_none=True)
    next_lesson = fields.Nested(NextLessonSchema, allow_none=True)


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


class RoleChangeSchema(Schema):
    managers = fields.List(fields.Integer())
    joined = fields.List(fields.Integer())
    unjoined = fields.List(fields.Integer())
