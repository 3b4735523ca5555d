"""The app factory: builds the Connexion app around the spec. Nothing happens at import time."""

import gc
import logging
from pathlib import Path

import connexion
import yaml
from connexion.options import SwaggerUIOptions

from api import database, serving
from api.config import Settings, check, settings_of
from api.contract.query_lists import ListQueryParser
from api.contract.validation import validator_map
from api.pictures.storage import LocalStorage, Storage
from api.urls import BASE_PATH
from api.web import problems
from api.web.json_output import JSONIFIER

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "v2.yaml"


def load_spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def media_storage(settings: Settings) -> Storage:
    """The store MEDIA_STORAGE names (check() has made sure its settings are complete)."""
    if settings.media_storage == "s3":
        # Imported only here: boto3 takes most of a second to import, which the local store never needs.
        from api.pictures.s3_storage import S3Storage

        return S3Storage(settings.media_s3_bucket, settings.media_s3_prefix, settings.media_s3_endpoint_url)
    return LocalStorage(settings.media_root)


def create_app(settings: Settings | None = None) -> connexion.FlaskApp:
    settings = settings or Settings()
    check(settings)
    spec = load_spec()
    app = connexion.FlaskApp(
        __name__,
        specification_dir=str(SPEC_PATH.parent),
        jsonifier=JSONIFIER,
        **serving.app_options(),
    )
    app.add_api(
        spec,
        resolver=serving.resolver(),
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=validator_map(),
        uri_parser_class=ListQueryParser,
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"),
    )

    flask_app = app.app
    # One connection per handler thread, and one for a short transaction of its own (idempotency keys).
    engine = database.make_engine(settings.database_url, connections=settings.threads + 1)
    flask_app.extensions["course_api.engine"] = engine
    flask_app.extensions["course_api.sessionmaker"] = database.make_sessionmaker(engine)
    flask_app.extensions["course_api.media"] = media_storage(settings)
    flask_app.after_request(database.finish_request)
    flask_app.teardown_request(database.discard_session)

    problems.register(app, spec, BASE_PATH)
    # Connexion warns on every request of operations that accept both JSON and forms.
    logging.getLogger("connexion.operations").setLevel(logging.ERROR)
    # The guards, the bridge, the prepared handlers; the middleware stack is built here, so this comes last.
    serving.install(app, settings, load_spec())
    return app


def settings_of_app(app: connexion.FlaskApp) -> Settings:
    """The settings `app` was built with, for code that holds the app rather than a request (tests)."""
    return settings_of({"app": app.middleware})


def asgi():
    """Entry point for `uvicorn --factory api.app:asgi`."""
    app = create_app()
    # The spec, its validators and the libraries are some 100 000 long-lived objects; a full garbage
    # collection walked them all, 20-40 ms during which no request of the worker advanced (most of the
    # p99 of `make bench`). Frozen, they are left out of every collection.
    gc.freeze()
    return app
