"""What this service tells the official web front end about the community: its preferences and features.

The platform keeps hundreds of them; the front end's course components and its router read the few
below. They come from this service's settings, or are facts of this service (courses exist here).
"""

from api.config import Settings

# The paths of the front end's router, with the front end's own defaults (react-core's routes, written
# the platform's way: `{id}` for a parameter). Without all twelve its router does not start.
URL_TEMPLATES = {
    "url_template_post": "/post/{id}/",
    "url_template_discussion": "/discussion/{id}/",
    "url_template_status": "/status/{id}/",
    "url_template_comment": "/{contribution_type}/{contribution_id}/comment/{id}/",
    "url_template_category": "/category/{id}/{slug}/",
    "url_template_categories_list": "/categories/",
    "url_template_profile": "/user/{id}/",
    "url_template_profile_settings": "/user/{id}/edit/",
    "url_template_notifications": "/notification/",
    "url_template_private_message": "/messages/{id}/",
    "url_template_incubator": "/incubator/{id}/",
    "url_template_live_stream": "/live/{slug}/",
}

# Colours of the front end's theme. It builds the palette of its app bars (the lesson screen's among
# them) only from a secondary colour and a navigation bar colour together, and the lesson screen
# cannot render without that palette; these are the theme library's own defaults.
COLORS = {"colorsecondary": "#9c27b0", "navbarback": "#ffffff"}

# Features of the platform this service offers (the front end shows its course components only with `course`).
FEATURES = ("course",)


def preferences(settings: Settings, default_cover_url: str) -> list[dict]:
    """The preferences, each `{id, section, name, value}`; ids follow this order, which only grows at its end."""
    entries = [
        ("configurations", "courses_enabled", True),
        ("configurations", "courses_only_staff_enabled", settings.courses_only_staff),
        ("configurations", "content_availability", settings.content_availability),
        ("images", "user_default_cover", default_cover_url),
        *(("configurations", name, path) for name, path in URL_TEMPLATES.items()),
        # Every course type exists here; without it the course form offers only self-paced courses.
        ("configurations", "courses_advanced_enabled", True),
        *(("colors", name, color) for name, color in COLORS.items()),
    ]
    return [
        {"id": number, "section": section, "name": name, "value": value}
        for number, (section, name, value) in enumerate(entries, start=1)
    ]


def features() -> list[dict]:
    return [{"id": number, "name": name, "enabled": True} for number, name in enumerate(FEATURES, start=1)]
