"""The parts of Connexion's request handling that depend only on the spec, built once.

Connexion 3 rebuilds, on every request, objects that depend on nothing but the operation: two URI
parsers, a parameter validator and a media type table in request validation, and on the Flask side
a URI parser and the whole chain of handler decorators (which inspects the handler's signature).
None of them holds anything of a request, so here each operation builds its own once and reuses
it; what is checked, and how, is Connexion's. (The cost is upstream issue spec-first/connexion#2045.)
"""

import functools

from connexion import utils
from connexion.apps.flask import FlaskOperation
from connexion.datastructures import MediaTypeDict
from connexion.decorators import FlaskDecorator
from connexion.exceptions import UnsupportedMediaTypeProblem
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from starlette.datastructures import Headers

from api.errors import BadRequest
from api.serving.middleware import has_body


class _PreparedOperation(RequestValidationOperation):
    """Request validation of one operation.

    Compared with upstream Connexion 3.3.0's `RequestValidationOperation.__call__`, line by line
    (tests/test_upstream.py fails when that source changes):

    * The URI parser, the parameter validator, the accepted media types and, per media type, the
      body schema, its validator class and its nullability are built here once, not per request.
      Upstream builds a second, identical URI parser for the body validator; one serves both.
    * Media types are matched without regard to case (RFC 9110, section 8.3.1) for acceptance, the
      schema and the validator. Upstream lowers them for acceptance only, then looks the schema and
      the validator up case-sensitively; `Application/JSON` found neither and its body went on
      unvalidated. (GuardBodies also writes the header in lower case for the layers after this one.)
    * A declared media type without a schema or a validator is an error when the app is built.
      Upstream logs "Skipping validation" at request time and passes the body on unchecked.
    * `extract_content_type` guesses the first declared media type when a request has no
      Content-Type, as upstream does; GuardBodies refuses such requests when they carry a body.
    * A request with a body to an operation that declares none is refused (400 `body_not_allowed`),
      unread; upstream lets it through to a handler that ignores it.
    * Everything else is upstream's: the parameters are validated first, then the media type (415),
      then the body, and the validator's `wrap_receive` hands the parsed body on.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        operation = self._operation
        self._uri_parser = operation._uri_parser_class(operation.parameters, operation.body_definition())
        self._parameters = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=self._uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        self._accepted = MediaTypeDict([(media_type.lower(), None) for media_type in operation.consumes])
        self._bodies = MediaTypeDict(
            [(media_type.lower(), self._body_of(media_type)) for media_type in operation.consumes]
        )

    def _body_of(self, media_type: str) -> tuple[dict, type, bool]:
        """(schema, validator class, nullable) of the body in one media type; refuses what it cannot check."""
        operation = self._operation
        schema = operation.body_schema(media_type)
        validator = self._validator_map["body"].get(media_type.lower())
        if not schema or validator is None:
            raise ValueError(
                f"{operation.method.upper()} {operation.path}: the spec declares a {media_type} body, "
                "but no schema or no validator checks it"
            )
        return schema, validator, utils.is_nullable(operation.body_definition(media_type))

    def validate_mime_type(self, mime_type: str) -> None:
        if self._operation.consumes and mime_type.lower() not in self._accepted:
            raise UnsupportedMediaTypeProblem(
                detail=f"Invalid Content-type ({mime_type}), expected {self._operation.consumes}"
            )

    async def __call__(self, scope, receive, send):
        self._parameters.validate(scope)
        if not self._operation.request_body and has_body(Headers(scope=scope)):
            # Nothing would read it; refused before anything does.
            raise BadRequest(f"{scope['method']} {self._operation.path} takes no body.", code="body_not_allowed")
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        body = self._bodies.get(mime_type.lower())
        if body is not None:
            schema, body_validator, nullable = body
            validator = body_validator(
                schema=schema,
                required=self._operation.request_body.get("required", False),
                nullable=nullable,
                encoding=encoding,
                strict_validation=self.strict_validation,
                uri_parser=self._uri_parser,
            )
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class _PreparedAPI(RequestValidationAPI):
    def make_operation(self, operation) -> RequestValidationOperation:
        return _PreparedOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class PreparedRequestValidation(RequestValidationMiddleware):
    """Takes the place of Connexion's RequestValidationMiddleware (see api.app)."""

    api_cls = _PreparedAPI


class _PreparedDecorator(FlaskDecorator):
    def __call__(self, function):
        prepared = {}

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if not prepared:
                # `uri_parser` reads the operation of the current request: the first request builds
                # both. Two threads may both do it; they build the same thing.
                prepared.update(uri_parser=self.uri_parser, handler=self.decorate(function))
            return prepared["handler"](self.framework.get_request(uri_parser=prepared["uri_parser"]))

        return wrapper


def prepare_handlers(flask_app) -> None:
    """Give every operation of the Flask app a handler chain that is built once."""
    for endpoint, view in flask_app.view_functions.items():
        if isinstance(view, FlaskOperation):
            decorator = _PreparedDecorator(pythonic_params=view.pythonic_params, jsonifier=view.jsonifier)
            flask_app.view_functions[endpoint] = decorator(view.__wrapped__)
