"""How the app is served: ASGI middleware, the bridge to Flask, the HTTP protocol, the worker processes.

This is the one place that reaches into the private or undocumented parts of Connexion, Starlette,
a2wsgi and uvicorn; api/serving/upstream.py lists each such use, and tests/test_upstream.py fails
when the upstream code behind one of them changes. Only api/app.py and api/cli.py import it.

api/app.py wires it in with three calls, the fewest that work, since connexion.FlaskApp takes its
middleware stack and its security handlers only when it is built, and add_api the resolver that
joins operations to handlers:

    app = connexion.FlaskApp(__name__, ..., **serving.app_options())
    app.add_api(spec, resolver=serving.resolver(), ...)  # and add_error_handler
    serving.install(app, settings, load_spec())
"""

from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.security import SecurityMiddleware

from api.config import Settings
from api.contract.validation import ParsedBodyRequest
from api.serving.bridge import BufferedWSGI
from api.serving.cors import AnswerPreflight, CorsHeaders
from api.serving.docs import DocsPage
from api.serving.hosts import GuardHosts
from api.serving.middleware import GuardBodies, GuardPaths
from api.serving.prepared import PreparedRequestValidation, prepare_handlers
from api.serving.redirects import PublicRedirects
from api.serving.routes import resolver
from api.serving.security import SECURITY_MAP, VisitorAwareSecurity
from api.serving.spec_document import SpecDocument

# Outer to inner, each just before the Swagger UI: nothing reads a request before they have seen it.
GUARDS = (GuardHosts, AnswerPreflight, PublicRedirects, GuardPaths, GuardBodies)
# Documentation beside the spec's operations, answered inside the guards, like the Swagger UI.
PAGES = (DocsPage,)

__all__ = ["app_options", "install", "resolver"]


def app_options() -> dict:
    """The arguments of connexion.FlaskApp that come from here: its middleware stack and security handlers.

    The stack is Connexion's default one, with request validation that prepares once what it can,
    and security that never takes a request with a bad token for a visitor's.
    """
    replaced = {RequestValidationMiddleware: PreparedRequestValidation, SecurityMiddleware: VisitorAwareSecurity}
    middlewares = [replaced.get(middleware, middleware) for middleware in ConnexionMiddleware.default_middlewares]
    return {"middlewares": middlewares, "security_map": SECURITY_MAP}


def install(app, settings: Settings, spec: dict) -> None:
    """Put the guards, the prepared handlers and the bridge in place, and build the middleware stack.

    Call it last, once the API and the error handlers are added: the stack is built here, and
    nothing can be added to it afterwards.
    """
    # Outside the error handlers, so that error answers carry the CORS headers too.
    app.add_middleware(CorsHeaders, position=MiddlewarePosition.BEFORE_EXCEPTION)
    for middleware in (*GUARDS, *PAGES):
        app.add_middleware(middleware, position=MiddlewarePosition.BEFORE_SWAGGER)
    # `spec` is a copy add_api never saw: Connexion writes into the one it is given.
    app.add_middleware(SpecDocument, position=MiddlewarePosition.BEFORE_SWAGGER, spec=spec)
    # ASGI middleware and the security hooks run before Flask: they find the settings on the ASGI app
    # that Connexion puts in every request's scope (api.config.settings_of).
    app.middleware.course_api_settings = settings
    flask_app = app.app
    flask_app.request_class = ParsedBodyRequest
    prepare_handlers(flask_app)
    # FlaskApp offers no setting for its ASGI-to-WSGI bridge; this one costs one thread hop per request.
    app._middleware_app.asgi_app = BufferedWSGI(flask_app.wsgi_app, settings.threads)
    # Connexion builds its middleware, request validation among it, on the first request (a private
    # method). Built now, a spec it cannot serve (api.serving.prepared refuses a media type it cannot
    # validate) stops the start instead of failing every request.
    app.middleware.app, app.middleware.middleware_stack = app.middleware._build_middleware_stack()
