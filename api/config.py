"""Settings read from the environment, with the defaults the README documents."""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
# RFC 7518, section 3.2: an HS256 key must be at least as long as the hash output (PyJWT only warns).
MIN_JWT_SECRET_BYTES = 32


class ConfigurationError(ValueError):
    """A setting the service refuses to start with."""


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in value.split(",") if name.strip())


def _instance_secret() -> str:
    """Generate the JWT secret once and keep it, so tokens survive a restart of `make run`."""
    path = INSTANCE_DIR / "jwt_secret"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Settings:
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'courses.db'}")
    )
    jwt_secret: str = field(default_factory=lambda: os.environ.get("JWT_SECRET") or _instance_secret())
    jwt_leeway: int = field(default_factory=lambda: int(os.environ.get("JWT_LEEWAY", "10")))
    courses_only_staff: bool = field(default_factory=lambda: _flag("COURSES_ONLY_STAFF"))
    # When true, callers without a token may find and read what any user may (api/rules/access.py, `viewer`).
    content_availability: bool = field(default_factory=lambda: _flag("CONTENT_AVAILABILITY"))
    validate_responses: bool = field(default_factory=lambda: _flag("VALIDATE_RESPONSES"))
    max_body_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024))))
    # Course pictures: where their renditions are kept, and how big an upload may be.
    media_root: Path = field(default_factory=lambda: Path(os.environ.get("MEDIA_ROOT", str(INSTANCE_DIR / "media"))))
    # Where clients fetch media from when a CDN or web server serves MEDIA_ROOT; by default this API does.
    media_url: str = field(default_factory=lambda: os.environ.get("MEDIA_URL", "").rstrip("/"))
    # `local` keeps pictures in MEDIA_ROOT; `s3` in a bucket, which every instance of the service shares.
    media_storage: str = field(default_factory=lambda: os.environ.get("MEDIA_STORAGE", "local").strip().lower())
    media_s3_bucket: str = field(default_factory=lambda: os.environ.get("MEDIA_S3_BUCKET", "").strip())
    # Empty: AWS S3 itself; any S3-compatible server otherwise (`http://127.0.0.1:8333`).
    media_s3_endpoint_url: str = field(default_factory=lambda: os.environ.get("MEDIA_S3_ENDPOINT_URL", "").strip())
    media_s3_prefix: str = field(default_factory=lambda: os.environ.get("MEDIA_S3_PREFIX", "").strip())
    # Where clients read the bucket's objects themselves; empty: this API streams them at /api/v2/media/.
    media_s3_public_url: str = field(default_factory=lambda: os.environ.get("MEDIA_S3_PUBLIC_URL", ""))
    max_image_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_IMAGE_BYTES", str(10 * 1024 * 1024))))
    max_image_pixels: int = field(default_factory=lambda: int(os.environ.get("MAX_IMAGE_PIXELS", str(50_000_000))))
    # Only behind a proxy that sets them may X-Forwarded-Proto/-Host decide the URLs we hand out.
    trust_proxy: bool = field(default_factory=lambda: _flag("TRUST_PROXY"))
    # Where clients reach this service (`https://courses.example`); empty: the checked Host of each request.
    public_url: str = field(default_factory=lambda: os.environ.get("PUBLIC_URL", ""))
    # The host names a request may name; empty: localhost, 127.0.0.1 and HOST (api/serving/hosts.py).
    allowed_hosts: tuple[str, ...] = field(default_factory=lambda: _names(os.environ.get("ALLOWED_HOSTS", "")))
    # The origins (`https://app.example`) whose pages may call the API from a browser; `*`: any. None by default.
    cors_allowed_origins: tuple[str, ...] = field(
        default_factory=lambda: _names(os.environ.get("CORS_ALLOWED_ORIGINS", ""))
    )
    # Whether those pages may send cookies or HTTP authentication (this API needs neither: tokens are headers).
    cors_allow_credentials: bool = field(default_factory=lambda: _flag("CORS_ALLOW_CREDENTIALS"))
    # Threads per worker process that run handlers; SQLite takes one writer at a time anyway.
    threads: int = field(default_factory=lambda: int(os.environ.get("THREADS", "4")))
    # The API reference `make docs` renders, served at /api/v2/docs/; a relative path is taken from the project.
    docs_page: Path = field(
        default_factory=lambda: PROJECT_ROOT / os.environ.get("DOCS_PAGE", str(Path("build") / "docs" / "index.html"))
    )
    host: str = field(default_factory=lambda: os.environ.get("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PORT", "8080")))

    def __post_init__(self):
        self.public_url = self.public_url.strip().rstrip("/")
        self.media_s3_public_url = self.media_s3_public_url.strip().rstrip("/")
        if self.public_url:
            _check_public_url(self.public_url)
        _check_origins(self.cors_allowed_origins, self.cors_allow_credentials)

    @property
    def media_key(self) -> bytes:
        """The key that names picture files (api/pictures/images.py), derived from JWT_SECRET.

        Derived rather than a setting of its own, so every worker and every deployment that can
        verify tokens names files alike with nothing more to configure; the distinct label keeps it
        from ever serving as a signing key. Rotating JWT_SECRET only changes the names of pictures
        uploaded afterwards: a stored picture keeps the name its course row holds.
        """
        return hmac.new(self.jwt_secret.encode(), b"course-api media file names v1", hashlib.sha256).digest()


def _check_public_url(url: str) -> None:
    """PUBLIC_URL must be an http(s) URL with a host and nothing after its path, or links would break."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_URL must look like https://courses.example (optionally with a path), not {url!r}")


def _check_origins(origins: tuple[str, ...], credentials: bool) -> None:
    """Each allowed origin is `*` or exactly what browsers send in Origin: scheme, host, optional port."""
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (
            parts.scheme not in ("http", "https") or not parts.hostname or f"{parts.scheme}://{parts.netloc}" != origin
        ):
            raise ConfigurationError(
                f"CORS_ALLOWED_ORIGINS lists {origin!r}; write each origin as https://app.example[:port], or *"
            )
    if "*" in origins and credentials:
        raise ConfigurationError(
            "CORS_ALLOWED_ORIGINS=* with CORS_ALLOW_CREDENTIALS=true would let any page act with a visitor's "
            "credentials; list the origins instead."
        )


def check(settings: Settings) -> None:
    """Refuse to serve with settings that would make the service unsafe."""
    length = len(settings.jwt_secret.encode())
    if length < MIN_JWT_SECRET_BYTES:
        raise ConfigurationError(
            f"JWT_SECRET is {length} bytes long; HS256 needs at least {MIN_JWT_SECRET_BYTES} bytes. "
            "Set a longer secret (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or unset JWT_SECRET to use the one generated into instance/jwt_secret."
        )
    _check_media(settings)


def _check_media(settings: Settings) -> None:
    """The media settings must name one store, completely; a half-configured S3 store would fail on the first upload."""
    if settings.media_storage not in ("local", "s3"):
        raise ConfigurationError(f"MEDIA_STORAGE must be local or s3, not {settings.media_storage!r}.")
    if settings.media_storage == "local":
        named = [name for name, value in _s3_settings(settings).items() if value]
        if named:
            raise ConfigurationError(
                f"{', '.join(named)} only apply with MEDIA_STORAGE=s3, and MEDIA_STORAGE is local."
            )
        return
    if not settings.media_s3_bucket:
        raise ConfigurationError(
            "MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET, the name of the bucket that holds the pictures."
        )
    for name in ("MEDIA_S3_ENDPOINT_URL", "MEDIA_S3_PUBLIC_URL"):
        url = _s3_settings(settings)[name]
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
            raise ConfigurationError(f"{name} must be an http(s) URL such as https://media.example, not {url!r}.")
    prefix = settings.media_s3_prefix.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise ConfigurationError(
            f"MEDIA_S3_PREFIX must be a plain path such as courses/media, not {settings.media_s3_prefix!r}."
        )
    if settings.media_url:
        raise ConfigurationError(
            "MEDIA_URL is the address of MEDIA_ROOT; with MEDIA_STORAGE=s3 set MEDIA_S3_PUBLIC_URL instead."
        )


def _s3_settings(settings: Settings) -> dict[str, str]:
    return {
        "MEDIA_S3_BUCKET": settings.media_s3_bucket,
        "MEDIA_S3_ENDPOINT_URL": settings.media_s3_endpoint_url,
        "MEDIA_S3_PREFIX": settings.media_s3_prefix,
        "MEDIA_S3_PUBLIC_URL": settings.media_s3_public_url,
    }


# The WSGI environ key under which api/serving/bridge.py hands Flask the request's ASGI scope.
ASGI_SCOPE = "asgi.scope"


def settings_of(scope) -> Settings:
    """The settings of the app serving a request: the one way to read them.

    create_app puts them on the ASGI app (Connexion's middleware, the scope's "app"), which every
    layer of a request can reach: ASGI middleware and security hooks pass their scope, and Flask code
    calls `current_settings()`.
    """
    return scope["app"].course_api_settings


def current_settings() -> Settings:
    """The settings of the app serving the Flask request being handled."""
    return settings_of(flask.request.environ[ASGI_SCOPE])
