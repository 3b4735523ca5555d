"""The fence: every name of Connexion, Starlette, a2wsgi, uvicorn and httptools we rely on beyond their docs.

Each row of USES says which of our modules uses which upstream name, and how. Where our code takes
the place of an upstream body, extends it, or depends on what it does, the row carries the first 16
hex digits of the SHA-256 of that upstream object's source (`inspect.getsource`); a private attribute
we read is fingerprinted through a row of its own for the upstream method that sets or uses it.
tests/test_upstream.py checks that the installed versions are PINNED (setup.cfg pins the same),
recomputes every digest, checks that every upstream method a class of ours overrides has one, and
scans every module of `api/` outside `api/serving/` for private names of these packages and for
imports of names not in DOCUMENTED: each one found must be listed here, or move into api/serving/.

When a digest changes: read the new upstream source against the module the row names, carry over
what changed (api/serving/prepared.py and api/serving/connections.py list what they copy or rely on,
difference by difference), then update the digest. A new release: the same for every row.

Members of a listed class that our code uses the way upstream's own code does (public methods and
attributes of an operation, of a request) are covered by the rows of that class; private ones are
listed one by one.
"""

from typing import NamedTuple

# The versions every row was read against; setup.cfg's install_requires pins the same.
PINNED = {
    "connexion": "3.3.0",
    "starlette": "1.10.0",
    "a2wsgi": "1.10.10",
    "uvicorn": "0.54.0",
    "httptools": "0.9.0",
}

# What our code does with an upstream name.
SUBCLASS = "subclass"  # a class of ours derives from it
REIMPLEMENT = "re-implement"  # our code takes the place of its body
EXTEND = "extend"  # our override calls it, and adds to what it does
RELY = "rely on"  # our code depends on what its body does
CALL = "call private"  # we call a private or undocumented function, method or parameter
READ = "read private"  # we read or set a private or undocumented attribute
SWAP = "swap"  # we replace an object it holds with one of ours
IMPORT = "import undocumented"  # we import a name its documentation does not give
# These need a digest: a change upstream can change what our code does without failing anything.
FINGERPRINTED = frozenset({REIMPLEMENT, EXTEND, RELY})


class Use(NamedTuple):
    module: str  # ours, relative to the project
    name: str  # upstream's, qualified the way our code reaches it
    how: str
    digest: str | None = None  # of inspect.getsource(name)


_RV = "connexion.middleware.request_validation"
_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol"


def _rows(module: str, *rows: tuple) -> tuple[Use, ...]:
    return tuple(Use(module, *row) for row in rows)


# fmt: off
USES = (
    # One call wires serving in: it swaps the bridge, builds the stack early, hands the settings on.
    *_rows(
        "api/serving/__init__.py",
        # upstream name                                                         how           digest
        ("connexion.apps.flask.FlaskApp._middleware_app",                       READ),
        ("connexion.apps.flask.FlaskApp.__init__",                              RELY,         "8d16f356c5e9c7c3"),
        ("connexion.apps.flask.FlaskASGIApp.asgi_app",                          SWAP),
        ("connexion.apps.flask.FlaskASGIApp.__init__",                          RELY,         "cc0d31503b250f26"),
        ("connexion.apps.flask.FlaskASGIApp.__call__",                          RELY,         "96935d8f6c802cc8"),
        ("connexion.apps.abstract.AbstractApp.middleware",                      READ),
        ("connexion.middleware.main.ConnexionMiddleware._build_middleware_stack", CALL,       "87c580cd81e68e94"),
        ("connexion.middleware.main.ConnexionMiddleware.middleware_stack",      READ),
        ("connexion.middleware.main.ConnexionMiddleware.__call__",              RELY,         "473eac78e7a24c3f"),
    ),
    # settings_of reads the settings off scope["app"], which ConnexionMiddleware.__call__ sets to itself.
    *_rows(
        "api/config.py",
        ("connexion.middleware.main.ConnexionMiddleware.__call__",              RELY,         "473eac78e7a24c3f"),
    ),
    # Request validation and the handler chain, prepared once per operation.
    *_rows(
        "api/serving/prepared.py",
        (f"{_RV}.RequestValidationOperation",                                   SUBCLASS),
        (f"{_RV}.RequestValidationOperation.__init__",                          EXTEND,       "d21eda3fde4a2734"),
        (f"{_RV}.RequestValidationOperation.__call__",                          REIMPLEMENT,  "af472716211911b9"),
        (f"{_RV}.RequestValidationOperation.validate_mime_type",                REIMPLEMENT,  "cdb95c7df215a7dd"),
        (f"{_RV}.RequestValidationOperation.extract_content_type",              RELY,         "b08fa016a712fc41"),
        (f"{_RV}.RequestValidationOperation._operation",                        READ),
        (f"{_RV}.RequestValidationOperation._validator_map",                    READ),
        ("connexion.operations.abstract.AbstractOperation._uri_parser_class",   READ),
        (f"{_RV}.RequestValidationAPI",                                         SUBCLASS),
        (f"{_RV}.RequestValidationAPI.make_operation",                          REIMPLEMENT,  "55b32cb8b0ab229e"),
        (f"{_RV}.RequestValidationMiddleware",                                  SUBCLASS),
        (f"{_RV}.RequestValidationMiddleware.api_cls",                          SWAP),
        ("connexion.middleware.abstract.RoutedMiddleware.add_api",              RELY,         "b4ef7143c0f7ff47"),
        ("connexion.utils.is_nullable",                                         CALL),
        ("connexion.apps.flask.FlaskOperation.__init__",                        RELY,         "09b0d7fdd70326ed"),
        ("connexion.apps.flask.FlaskOperation.fn",                              REIMPLEMENT,  "8e9389bf42b9e519"),
        ("connexion.decorators.FlaskDecorator",                                 SUBCLASS),
        ("connexion.decorators.FlaskDecorator.__call__",                        REIMPLEMENT,  "9a1025c77773ed68"),
        ("connexion.decorators.FlaskDecorator.uri_parser",                      RELY,         "140072be21d36da0"),
        ("connexion.decorators.FlaskDecorator.decorate",                        RELY,         "ecc6529a18274fda"),
    ),
    # The ASGI-to-WSGI bridge in the place of a2wsgi's.
    *_rows(
        "api/serving/bridge.py",
        ("a2wsgi.wsgi.WSGIMiddleware.__call__",                                 REIMPLEMENT,  "031f0187c9578989"),
        ("a2wsgi.wsgi.build_environ",                                           RELY,         "ec8bf30cd7ba800c"),
    ),
    # The security handlers: our hooks without a module path in the spec, their signatures inspected once.
    *_rows(
        "api/serving/security.py",
        ("connexion.security.BearerSecurityHandler",                            SUBCLASS),
        ("connexion.security.ApiKeySecurityHandler",                            SUBCLASS),
        ("connexion.security.AbstractSecurityHandler._resolve_func",            REIMPLEMENT,  "d6f6e16398e41bc2"),
        ("connexion.security.AbstractSecurityHandler._accepts_kwarg",           EXTEND,       "f04f41d0fb5eea37"),
        ("connexion.security.AbstractSecurityHandler._generic_check",           RELY,         "28e23fb07ef65fb6"),
        # `{}` admits only requests without credentials: the factory's verify_none, swapped in by
        # the security API's make_operation, and tried by verify_security after the token schemes.
        ("connexion.security.NO_VALUE",                                         IMPORT),
        ("connexion.security.SecurityHandlerFactory",                           SUBCLASS),
        ("connexion.security.SecurityHandlerFactory.__init__",                  RELY,         "b29cf98608df5f63"),
        ("connexion.security.SecurityHandlerFactory.verify_none",               REIMPLEMENT,  "b9be3a24decf8e13"),
        ("connexion.security.SecurityHandlerFactory.verify_security",           RELY,         "eb34fea712e0643a"),
        ("connexion.security.SecurityHandlerFactory.security_handlers",         READ),
        ("connexion.middleware.security.SecurityAPI",                           SUBCLASS),
        ("connexion.middleware.security.SecurityAPI.__init__",                  RELY,         "928154714c9b0ef1"),
        ("connexion.middleware.security.SecurityAPI.make_operation",            EXTEND,       "8051a99c0921b5fd"),
        ("connexion.middleware.security.SecurityAPI.security_handler_factory",  SWAP),
        ("connexion.middleware.security.SecurityMiddleware",                    SUBCLASS),
    ),
    # The `Token` scheme's hook answers "not mine" with NO_VALUE, and Connexion tries the next scheme.
    *_rows(
        "api/auth.py",
        ("connexion.security.NO_VALUE",                                         IMPORT),
        ("connexion.security.AbstractSecurityHandler._generic_check",           RELY,         "28e23fb07ef65fb6"),
        ("connexion.security.SecurityHandlerFactory.verify_security",           RELY,         "eb34fea712e0643a"),
    ),
    # Connexion's body and parameter validators, reading bodies and reporting errors our way.
    *_rows(
        "api/contract/validation.py",
        ("connexion.validators.AbstractRequestBodyValidator.__init__",          RELY,         "cc70034b45755cc5"),
        ("connexion.validators.JSONRequestBodyValidator",                       SUBCLASS),
        ("connexion.validators.JSONRequestBodyValidator._parse",                REIMPLEMENT,  "653b0d4025a2592e"),
        ("connexion.validators.JSONRequestBodyValidator._validate",             REIMPLEMENT,  "273956bb6cb6dd4e"),
        ("connexion.validators.JSONRequestBodyValidator._schema",               READ),
        ("connexion.validators.JSONRequestBodyValidator._nullable",             READ),
        ("connexion.validators.FormDataValidator",                              SUBCLASS),
        ("connexion.validators.FormDataValidator._parse",                       REIMPLEMENT,  "4b1afc9c6cb62fb3"),
        ("connexion.validators.FormDataValidator._validate",                    REIMPLEMENT,  "7ce82dcb557f5861"),
        ("connexion.validators.FormDataValidator._schema",                      READ),
        ("connexion.validators.FormDataValidator._insert_body",                 EXTEND,       "a491067b608b3277"),
        ("connexion.validators.FormDataValidator.wrap_receive",                 EXTEND,       "44c469448a6e46fb"),
        ("connexion.validators.FormDataValidator.MUTABLE_VALIDATION",           READ),
        ("connexion.validators.ParameterValidator",                             SUBCLASS),
        ("connexion.validators.ParameterValidator.__init__",                    RELY,         "24776a9397239d06"),
        ("connexion.validators.ParameterValidator.validate_request",            REIMPLEMENT,  "e3d4a4e16aaee99e"),
        ("connexion.validators.AbstractResponseBodyValidator.__init__",         RELY,         "df2e683f8b29da63"),
        ("connexion.validators.JSONResponseBodyValidator",                      SUBCLASS),
        ("connexion.validators.JSONResponseBodyValidator.wrap_send",            EXTEND,       "2afeb9dc43b80601"),
        ("connexion.validators.JSONResponseBodyValidator._scope",               READ),
    ),
    # Connexion's OpenAPI URI parser (add_api's documented `uri_parser_class`), with array query
    # parameters read in three spellings; the others are parsed as upstream parses them.
    *_rows(
        "api/contract/query_lists.py",
        ("connexion.uri_parsing.OpenAPIURIParser",                              SUBCLASS),
        ("connexion.uri_parsing.OpenAPIURIParser.resolve_query",                EXTEND,       "446701f944d63e58"),
        ("connexion.uri_parsing.OpenAPIURIParser.param_schemas",                RELY,         "b43ee13bdcd96987"),
    ),
    # Connexion's Draft 4 validator with `nullable`, extended with keywords whose cost stays linear.
    *_rows(
        "api/contract/keywords.py",
        ("connexion.json_schema.Draft4RequestValidator",                        IMPORT),
        ("connexion.json_schema.allow_nullable",                                RELY,         "4f8d52a1f8a69db9"),
    ),
    # uvicorn's httptools protocol with limits; the module's docstring says what each method is relied on for.
    *_rows(
        "api/serving/connections.py",
        (_HTTPTOOLS,                                                            SUBCLASS),
        (f"{_HTTPTOOLS}.__init__",                                              RELY,         "4f08999410347141"),
        (f"{_HTTPTOOLS}.connection_lost",                                       EXTEND,       "c91a4c9bf2e29c55"),
        (f"{_HTTPTOOLS}.connection_made",                                       EXTEND,       "6efb565ff3d36b91"),
        (f"{_HTTPTOOLS}.data_received",                                         EXTEND,       "010a7ae59a5d3b1a"),
        (f"{_HTTPTOOLS}.on_headers_complete",                                   EXTEND,       "1ea8589acfad92d8"),
        (f"{_HTTPTOOLS}.on_message_begin",                                      EXTEND,       "96d377fdc7c2baef"),
        (f"{_HTTPTOOLS}.on_message_complete",                                   EXTEND,       "1fbad42dc31fc01f"),
        (f"{_HTTPTOOLS}.send_400_response",                                     EXTEND,       "ae5a4a3782b646fd"),
        (f"{_HTTPTOOLS}.on_url",                                                RELY,         "37be44e962b04ca8"),
        (f"{_HTTPTOOLS}.on_header",                                             RELY,         "65d62c044f61fdbd"),
        ("uvicorn.protocols.http.httptools_impl.STATUS_LINE",                   IMPORT),
    ),
    # `course-api serve` names our protocol class as `http` (documented: auto, h11 or httptools).
    *_rows(
        "api/cli.py",
        ("uvicorn.config.Config.load",                                          RELY,         "92b7159dce105a9c"),
    ),
    # A socket per worker (Server.run's `sockets`); Config(...) alone sets up uvicorn's logging.
    *_rows(
        "api/serving/workers.py",
        ("uvicorn.server.Server.run",                                           CALL),
        ("uvicorn.config.Config.__init__",                                      RELY,         "98e927ea97a70725"),
    ),
)
# fmt: on

# What the projects' documentation gives, for use anywhere (a name ending in ".*": everything in that module).
# Connexion 3: docs/middleware.rst, validation.rst, security.rst, response.rst, exceptions.rst, swagger_ui.rst.
# Starlette: docs/requests.md, middleware.md, exceptions.md. uvicorn: docs/index.md, settings.md. a2wsgi: README.
DOCUMENTED = frozenset(
    {
        "connexion.App",
        "connexion.AsyncApp",
        "connexion.FlaskApp",
        "connexion.ConnexionMiddleware",
        "connexion.request",
        "connexion.middleware.ConnexionMiddleware",
        "connexion.middleware.MiddlewarePosition",
        "connexion.middleware.security.SecurityMiddleware",
        "connexion.options.SwaggerUIOptions",
        "connexion.exceptions.*",
        "connexion.lifecycle.ConnexionRequest",
        "connexion.lifecycle.ConnexionResponse",
        "connexion.jsonifier.Jsonifier",
        "connexion.datastructures.MediaTypeDict",
        "connexion.decorators.FlaskDecorator",
        "connexion.uri_parsing.OpenAPIURIParser",
        "connexion.security.AbstractSecurityHandler",
        "connexion.validators.VALIDATOR_MAP",
        "connexion.validators.AbstractRequestBodyValidator",
        "connexion.validators.AbstractResponseBodyValidator",
        "connexion.validators.ParameterValidator",
        "connexion.validators.JSONRequestBodyValidator",
        "connexion.validators.DefaultsJSONRequestBodyValidator",
        "connexion.validators.FormDataValidator",
        "connexion.validators.MultiPartFormDataValidator",
        "connexion.validators.JSONResponseBodyValidator",
        "connexion.validators.TextResponseBodyValidator",
        "starlette.datastructures.Headers",
        "starlette.datastructures.MutableHeaders",
        "starlette.datastructures.URL",
        "starlette.datastructures.QueryParams",
        "starlette.exceptions.HTTPException",
        "starlette.requests.Request",
        "starlette.responses.*",
        "starlette.types.*",
        "uvicorn.run",
        "uvicorn.Config",
        "uvicorn.Server",
        "a2wsgi.ASGIMiddleware",
        "a2wsgi.WSGIMiddleware",
        "httptools.HttpRequestParser",
        "httptools.HttpParserError",
        "httptools.HttpParserCallbackError",
    }
)


def documented(name: str) -> bool:
    module = name.rpartition(".")[0]
    return name in DOCUMENTED or f"{module}.*" in DOCUMENTED
