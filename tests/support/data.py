"""Rows and files written straight to the store, behind the API's back: the factory and its companions."""

from api.app import settings_of_app
from models import Category, Course, CourseMembership, Lesson, Section, User

# (privacy, role, status) for callers who may not change a course: 403 where they can see it, 404 where they cannot.
NON_EDITORS = [
    ("open", "joined", 403),
    ("open", "stranger", 403),
    ("private", "joined", 403),
    ("private", "stranger", 403),
    ("secret", "joined", 403),
    ("secret", "stranger", 404),
    ("", "joined", 404),
    ("", "stranger", 404),
]


class Factory:
    """Tiny helpers that write straight to the database."""

    def __init__(self, db):
        self.db = db
        self._n = 0

    def _next(self):
        self._n += 1
        return self._n

    def user(self, **fields):
        user = User(username=fields.pop("username", f"user{self._next()}"), real_name="", **fields)
        self.db.add(user)
        self.db.commit()
        return user

    def category(self, name=None):
        n = self._next()
        category = Category(name=name or f"Category {n}", slug=f"category-{n}")
        self.db.add(category)
        self.db.commit()
        return category

    def course(self, creator, *, privacy="open", sections=0, managers=(), joined=(), **fields):
        n = self._next()
        course = Course(
            name=fields.pop("name", f"Course {n}"),
            slug=fields.pop("slug", f"course-{n}"),
            type=fields.pop("type", "self-paced"),
            description=fields.pop("description", ""),
            privacy=privacy,
            created_by=creator,
            **fields,
        )
        course.sections = [Section(name=f"Section {i}", position=i) for i in range(sections)]
        self.db.add(course)
        self.db.flush()
        for role, users in (("manager", managers), ("joined", joined)):
            for user in users:
                self.db.add(CourseMembership(course_id=course.id, user_id=user.id, role=role))
        self.db.commit()
        return course

    def lesson(self, section, *, status="published", **fields):
        """A lesson appended to `section`, written by the course's creator."""
        course = self.db.get(Course, section.course_id)
        position = len(self.db.query(Lesson).filter_by(section_id=section.id).all())
        lesson = Lesson(
            course_id=section.course_id,
            section_id=section.id,
            name=fields.pop("name", f"Lesson {self._next()}"),
            status=status,
            position=position,
            created_by_id=course.created_by_id,
            html=fields.pop("html", ""),
            **fields,
        )
        self.db.add(lesson)
        self.db.commit()
        return lesson


def staffed_course(make, people, privacy="open", **fields):
    """A course created by people['creator'] with people['manager'] managing and people['joined'] joined."""
    return make.course(
        people["creator"], privacy=privacy, managers=[people["manager"]], joined=[people["joined"]], **fields
    )


def media_files(app) -> list[str]:
    """Every file under the app's media root, as paths relative to it."""
    root = settings_of_app(app).media_root
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
