"""SQLAlchemy models of the course service."""

from models.base import Base
from models.category import Category
from models.course import Course, CourseMembership, course_categories
from models.idempotency import IdempotencyKey
from models.lesson import Lesson, LessonCompletion
from models.rate_limit import RateLimitWindow
from models.section import Section
from models.user import User

__all__ = [
    "Base",
    "Category",
    "Course",
    "CourseMembership",
    "IdempotencyKey",
    "Lesson",
    "LessonCompletion",
    "RateLimitWindow",
    "Section",
    "User",
    "course_categories",
]
