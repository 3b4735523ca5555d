"""How changes to courses, sections and roles are applied, with the rules the spec cannot express."""

from slugify import slugify
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from api import database
from api.errors import BadRequest, Conflict, clashing_field, field_errors, listed
from api.pictures.course_pictures import set_picture
from api.rules.access import CREATOR, JOINED, MANAGER
from models import Category, Course, CourseMembership, Lesson, Section, User
from models.base import name_key, utcnow

MAX_SECTIONS = 1000
# Loaded into an `api.pictures.images.Picture`, or None to remove the picture.
PICTURE = "image_original"
# Room left in a slug column for the suffix that makes it unique ("-2", ..., "-9999999").
SLUG_SUFFIX_ROOM = 8
# How often a derived slug is chosen again when a concurrent writer took it before our INSERT.
SLUG_ATTEMPTS = 5


def unique_slug(db, model, text: str, fallback: str, *live_only) -> str:
    """A slug for `text` not used by another row, suffixed -2, -3... when needed; it fits `model.slug`."""
    base = slugify(text, max_length=model.slug.type.length - SLUG_SUFFIX_ROOM) or fallback
    taken = set(db.scalars(select(model.slug).where(model.slug.like(f"{base}%"), *live_only)))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def insert_with_derived_slug(db, row: Course | Category, text: str, fallback: str, *live_only) -> None:
    """Insert `row` under a slug derived from `text`.

    Another writer may take the chosen slug between our query and our INSERT. The client never sent
    that slug, so a 409 on it would make no sense to them: the INSERT is tried again with the next free
    slug, inside a savepoint so that the failed attempt leaves the transaction usable.
    """
    model = type(row)
    for _ in range(SLUG_ATTEMPTS):
        row.slug = unique_slug(db, model, text, fallback, *live_only)
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
            return
        except IntegrityError as exc:
            if clashing_field(exc) != "slug":
                raise
    raise Conflict("Other writers kept taking the slug chosen for this name; try again.", code="conflict")


def create_course(data: dict, creator: User) -> Course:
    course = Course(created_by=creator, name=data["name"], type=data["type"], description="", sections=[])
    picture = data.pop(PICTURE, None)
    apply_course_changes(course, data)
    db = database.session()
    if "slug" in data:
        db.add(course)
        db.flush()
    else:
        insert_with_derived_slug(db, course, data["name"], "course", Course.deleted.is_(False))
    if picture is not None:
        # The files are named after the course id, which the flush has just given it.
        set_picture(course, picture)
    return course


def revise(*rows: Course | Section | Lesson) -> None:
    """Count one more revision of each row.

    The database does the addition (`revision = revision + 1`), so two writers can never store the
    same number even without a lock. The new value is read back on first access after the flush.
    """
    for row in rows:
        row.revision = type(row).revision + 1


def change_course(course: Course, data: dict) -> None:
    """A PUT or PATCH of a course: every successful one is a new revision, even if nothing differs."""
    if PICTURE in data:
        set_picture(course, data.pop(PICTURE))
    apply_course_changes(course, data)
    revise(course)
    database.session().flush()


def delete_course(course: Course) -> None:
    """A soft delete: the name and slug become free, and the picture's files go."""
    course.deleted = True
    set_picture(course, None)
    revise(course)


def change_section(course: Course, section: Section, data: dict) -> None:
    """A PUT or PATCH of a section. The course's `view=edit` shows its sections, so it is revised too."""
    if "lessons_order" in data:
        _reorder(section.lessons, data.pop("lessons_order"), "lessons_order", "lesson", "section")
    for name, value in data.items():
        setattr(section, name, value)
    revise(section, course)
    database.session().flush()


def apply_course_changes(course: Course, data: dict) -> None:
    """Set the given fields; fields absent from `data` keep their values (PUT and PATCH alike)."""
    _check_unique(course, data)
    if data.get("privacy") == "" and course.privacy not in ("", None):
        raise BadRequest(
            "A course that left the draft state cannot become a draft again.", field="privacy", code="invalid"
        )
    if "categories" in data:
        course.categories = _categories(data.pop("categories"))
    if "sections_order" in data:
        _reorder(course.sections, data.pop("sections_order"), "sections_order", "section", "course")
    for name, value in data.items():
        setattr(course, name, value)


def _check_unique(course: Course, data: dict) -> None:
    db = database.session()
    live_others = (Course.deleted.is_(False), Course.id != course.id) if course.id else (Course.deleted.is_(False),)
    problems = []
    if "name" in data and db.scalar(select(Course.id).where(Course.name_key == name_key(data["name"]), *live_others)):
        problems.append(("name", "unique", "A course with this name already exists."))
    if "slug" in data and db.scalar(select(Course.id).where(Course.slug == data["slug"], *live_others)):
        problems.append(("slug", "unique", "A course with this slug already exists."))
    if problems:
        raise Conflict("The course clashes with an existing one.", errors=field_errors(problems))


def _categories(refs: list[int]) -> list[Category]:
    if len(set(refs)) != len(refs):
        raise BadRequest("A category is listed twice.", field="categories", code="duplicate")
    found = {c.id: c for c in database.session().scalars(select(Category).where(Category.id.in_(refs)))}
    missing = [ref for ref in refs if ref not in found]
    if missing:
        raise BadRequest(f"No such categories: {missing}.", field="categories", code="does_not_exist")
    # The same order as the relationship loads them, so the answer matches a later GET.
    return sorted(found.values(), key=lambda category: (category.name, category.id))


def _reorder(rows: list[Section] | list[Lesson], order: list[int], field: str, kind: str, whole: str) -> None:
    """Give `rows` (a course's sections or a section's lessons) the positions `order` lists."""
    current = {row.id: row for row in rows}
    if len(order) != len(current) or set(order) != set(current):
        missing = sorted(set(current) - set(order))
        foreign = sorted(set(order) - set(current))
        raise BadRequest(
            f"{field} must list every {kind} of the {whole} exactly once "
            f"(missing: {missing}, not in this {whole}: {foreign}).",
            field=field,
            code="invalid",
        )
    for position, row_id in enumerate(order):
        current[row_id].position = position
    rows.sort(key=lambda row: row.position)


def add_section(course: Course, data: dict) -> Section:
    """Append a section. The count and the last position come from SQL: the course's sections stay unloaded."""
    db = database.session()
    count, last = db.execute(
        select(func.count(), func.max(Section.position)).where(Section.course_id == course.id)
    ).one()
    if count >= MAX_SECTIONS:
        raise Conflict(f"A course holds at most {MAX_SECTIONS} sections.", code="limit")
    # A new section holds no lesson: the only order it accepts is the empty one.
    _reorder([], data.pop("lessons_order", []), "lessons_order", "lesson", "section")
    section = Section(
        course_id=course.id, position=(-1 if last is None else last) + 1, lessons=[], **({"drip_delay": 0} | data)
    )
    db.add(section)
    revise(course)
    database.session().flush()
    return section


def remove_section(course: Course, section: Section) -> None:
    database.session().delete(section)
    revise(course)
    database.session().flush()


def change_roles(course: Course, changes: dict[str, list[int]]) -> None:
    """Apply `managers`, `joined` and `unjoined` together, or refuse all of them."""
    wanted = {
        MANAGER: changes.get("managers", []),
        JOINED: changes.get("joined", []),
        None: changes.get("unjoined", []),
    }
    names = {MANAGER: "managers", JOINED: "joined", None: "unjoined"}
    problems, seen = [], {}
    for role, ids in wanted.items():
        for user_id in ids:
            if user_id in seen:
                problems.append((names[role], "duplicate", f"User {user_id} is also listed in {seen[user_id]}."))
            seen[user_id] = names[role]
            if user_id == course.created_by_id and role != MANAGER:
                problems.append((names[role], CREATOR, "The creator's role cannot be changed."))
    db = database.session()
    members = {
        m.user_id: m
        for m in db.scalars(
            select(CourseMembership).where(CourseMembership.course_id == course.id, CourseMembership.user_id.in_(seen))
        )
    }
    active = set(db.scalars(select(User.id).where(User.id.in_(seen), User.active)))
    for role, ids in wanted.items():
        unknown = [user_id for user_id in ids if not _may_take(user_id, role, user_id in active, members)]
        if unknown:
            problems.append((names[role], "does_not_exist", f"No such users: {unknown}."))
    if problems:
        raise BadRequest(**listed("The role change is not valid; nothing was changed.", problems))

    for role in (MANAGER, JOINED):
        for user_id in wanted[role]:
            if user_id == course.created_by_id:
                continue
            if user_id in members:
                # An invitation or a request that becomes a membership starts it now; a move between
                # `manager` and `joined` keeps its start.
                if members[user_id].role not in (MANAGER, JOINED):
                    members[user_id].joined_at = utcnow()
                members[user_id].role = role
            else:
                db.add(CourseMembership(course_id=course.id, user_id=user_id, role=role))
    # Each caller's `join_status` is part of the course they read, so a role change is a new revision.
    revise(course)
    if wanted[None]:
        db.execute(
            delete(CourseMembership).where(
                CourseMembership.course_id == course.id, CourseMembership.user_id.in_(wanted[None])
            )
        )
    db.flush()


def _may_take(user_id: int, role: str | None, active: bool, members: dict[int, CourseMembership]) -> bool:
    """Whether the user may be given `role` (None: no role) in the course.

    Active users may take any role. A deactivated or deleted user may only lose rights, so that
    access can always be revoked: a member may be removed, a manager demoted to `joined`
    (`joined` again for a member changes nothing). Adding or promoting them is refused as for an
    unknown user.
    """
    if active:
        return True
    if role is None:
        return user_id in members
    # Demoting a manager is revoking; making an invitee or a requester `joined` would be giving.
    return user_id in members and role == JOINED and members[user_id].role in (MANAGER, JOINED)


def create_category(db, name: str, active: bool = True, order: int = 0) -> Category:
    if db.scalar(select(Category.id).where(Category.name_key == name_key(name))):
        raise Conflict("A category with this name already exists.", field="name")
    category = Category(name=name, active=active, order=order)
    insert_with_derived_slug(db, category, name, "category")
    return category
