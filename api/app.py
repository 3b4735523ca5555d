"""The app factory: builds the Connexion app around the spec. Nothing happens at import time."""

import gc
import logging
from pathlib import Path

import connexion
import yaml
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.options import SwaggerUIOptions

from api import database
from api.config import Settings, check
from api.contract.validation import ParsedBodyRequest, validator_map
from api.pictures.storage import LocalStorage
from api.serving.bridge import BufferedWSGI
from api.serving.hosts import GuardHosts
from api.serving.middleware import GuardBodies, GuardPaths
from api.serving.prepared import PreparedRequestValidation, prepare_handlers
from api.serving.security import SECURITY_MAP
from api.urls import BASE_PATH, PublicRedirects
from api.web import problems
from api.web.json_output import JSONIFIER

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "v2.yaml"


def load_spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def _middlewares() -> list:
    """Connexion's middleware stack, with request validation that prepares once what it can."""
    return [
        PreparedRequestValidation if middleware is RequestValidationMiddleware else middleware
        for middleware in ConnexionMiddleware.default_middlewares
    ]


def create_app(settings: Settings | None = None) -> connexion.FlaskApp:
    settings = settings or Settings()
    check(settings)
    spec = load_spec()
    app = connexion.FlaskApp(
        __name__,
        specification_dir=str(SPEC_PATH.parent),
        jsonifier=JSONIFIER,
        security_map=SECURITY_MAP,
        middlewares=_middlewares(),
    )
    app.add_middleware(GuardHosts, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(PublicRedirects, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(GuardPaths, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(GuardBodies, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_api(
        spec,
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=validator_map(),
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"),
    )
    # The security hooks run before Flask and find the settings through the ASGI scope.
    app.middleware.course_api_settings = settings

    flask_app = app.app
    flask_app.request_class = ParsedBodyRequest
    prepare_handlers(flask_app)
    # FlaskApp offers no setting for its ASGI-to-WSGI bridge; this one costs one thread hop per request.
    app._middleware_app.asgi_app = BufferedWSGI(flask_app.wsgi_app, settings.threads)
    # One connection per handler thread, and one for a short transaction of its own (idempotency keys).
    engine = database.make_engine(settings.database_url, connections=settings.threads + 1)
    flask_app.extensions["course_api.engine"] = engine
    flask_app.extensions["course_api.sessionmaker"] = database.make_sessionmaker(engine)
    flask_app.extensions["course_api.media"] = LocalStorage(settings.media_root)
    flask_app.after_request(database.finish_request)
    flask_app.teardown_request(database.discard_session)

    problems.register(app, spec, BASE_PATH)
    # Connexion warns on every request of operations that accept both JSON and forms.
    logging.getLogger("connexion.operations").setLevel(logging.ERROR)
    # Connexion builds its middleware, request validation among it, on the first request (a private
    # method, Connexion 3.3.0). Built now, a spec it cannot serve (api.serving.prepared refuses a media type it
    # cannot validate) stops the start instead of failing every request.
    app.middleware.app, app.middleware.middleware_stack = app.middleware._build_middleware_stack()
    return app


def asgi():
    """Entry point for `uvicorn --factory api.app:asgi`."""
    app = create_app()
    # The spec, its validators and the libraries are some 100 000 long-lived objects; a full garbage
    # collection walked them all, 20-40 ms during which no request of the worker advanced (most of the
    # p99 of `make bench`). Frozen, they are left out of every collection.
    gc.freeze()
    return app
