"""Request validation from the spec, with errors that name the offending field.

Connexion validates every request against the spec; these subclasses only change how bodies are
read (strict JSON, forms turned into typed JSON) and how failures are reported (one entry per field
in the SDK's shape instead of a single sentence).
"""

import base64
import json
import typing as t
from urllib.parse import parse_qsl

import flask
from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import (
    VALIDATOR_MAP,
    FormDataValidator,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError
from starlette.datastructures import Headers, MutableHeaders

from api import images, multipart
from api.config import settings_of
from api.errors import BadRequest, field_errors

MESSAGE_LIMIT = 200


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _describe(error: ValidationError, prefix: str = "") -> list[tuple[str | None, str, str]]:
    path = ".".join(str(p) for p in error.path)
    base = ".".join(p for p in (prefix, path) if p)
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [
            (_join(base, name), "unknown_field", f"'{_short(name)}' is not a field of this resource.")
            for name in sorted(set(error.instance) - known)
        ]
    if error.validator == "required":
        return [
            (_join(base, name), "required", "This field is required.")
            for name in error.validator_value
            if name not in error.instance
        ]
    if error.validator == "minProperties":
        return [(base or None, "required", "Give at least one field.")]
    return [(base or None, str(error.validator), _short(error.message))]


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def raise_for_errors(validator, instance, prefix: str = "") -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    if errors:
        items = [item for error in errors for item in _describe(error, prefix)]
        raise BadRequest("The request is not valid; see `errors` for each field.", errors=field_errors(items))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_json(raw: bytes) -> t.Any:
    """Strict JSON: UTF-8 only, no NaN/Infinity, no repeated keys, bounded nesting."""
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.", code="parse_error")
    except RecursionError:
        raise BadRequest("The body is nested too deeply.", code="parse_error")
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {_short(str(exc))}", code="parse_error")
    return _storable_text(body)


def _storable_text(value: t.Any) -> t.Any:
    """Refuse lone UTF-16 surrogates: JSON escapes allow them, but no database can store them."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("Text may not contain unpaired UTF-16 surrogates.", code="invalid_text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable_text(key)
            _storable_text(item)
    elif isinstance(value, list):
        for item in value:
            _storable_text(item)
    return value


# schema id -> (schema, validator). Connexion builds a validator per request; building one costs
# far more than running it, and the schemas live as long as the app.
_validators: dict[int, tuple[dict, Draft4Validator]] = {}


def validator_for(schema: dict, cls=Draft4RequestValidator) -> Draft4Validator:
    """The validator of this schema object, built on first use. jsonschema validators are immutable."""
    entry = _validators.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _validators[id(schema)] = (schema, cls(schema, format_checker=Draft4Validator.FORMAT_CHECKER))
    return entry[1]


async def _read(stream) -> bytes:
    return b"".join([chunk async for chunk in stream])


# Where a validator leaves the body it parsed, for the handler (see ParsedBodyRequest).
PARSED_BODY = "course_api.parsed_body"


def _keep_parsed(scope, body) -> None:
    scope.setdefault("extensions", {})[PARSED_BODY] = body


class ParsedBodyRequest(flask.Request):
    """A Flask request whose JSON is the body validation has already parsed (and, for forms, typed).

    Parsing it a second time would cost as much as the first, and could only give the same result.
    """

    def get_json(self, force=False, silent=False, cache=True):
        extensions = self.environ.get("asgi.scope", {}).get("extensions", {})
        if PARSED_BODY in extensions:
            return extensions[PARSED_BODY]
        return super().get_json(force=force, silent=silent, cache=cache)


class JSONBodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream, scope):
        raw = await _read(stream)
        body = parse_json(raw) if raw else None
        _keep_parsed(scope, body)
        return body

    def _validate(self, body):
        if body is None and not self._nullable:
            raise BadRequest("The request body is missing.", code="required")
        raise_for_errors(validator_for(self._schema), body)


class FormBodyValidator(FormDataValidator):
    """Reads `key=value` forms, and JSON objects sent under the form header as the public docs do.

    Either way the body is handed on as typed JSON, so handlers see one representation.
    """

    MUTABLE_VALIDATION = True

    async def _parse(self, stream, scope):
        raw = await _read(stream)
        if raw.lstrip().startswith(b"{"):
            return parse_json(raw)
        try:
            pairs = parse_qsl(
                raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw), encoding="utf-8", errors="strict"
            )
        except (UnicodeError, ValueError):
            raise BadRequest("The form body is malformed or not UTF-8.", code="parse_error")
        return coerce_form(_storable_text(pairs), self._schema)

    def _validate(self, body):
        raise_for_errors(validator_for(self._schema), body)

    async def wrap_receive(self, receive, *, scope):
        # Connexion takes a body of length 0 for a missing body; as a form it is one without fields.
        if not int(Headers(scope=scope).get("content-length", 0)):
            self._validate({})
            return self._insert_body(receive, body={}, scope=scope)
        return await super().wrap_receive(receive, scope=scope)

    def _insert_body(self, receive, *, body, scope):
        _keep_parsed(scope, body)
        receive, scope = super()._insert_body(receive, body=body, scope=scope)
        MutableHeaders(scope=scope)["content-type"] = "application/json"
        return receive, scope


class MultipartBodyValidator(FormBodyValidator):
    """Reads `multipart/form-data`: text parts as form fields, a picture's file part as a data URL.

    The handler then sees the same JSON body a client could have sent, and a picture goes through
    the one path that checks pictures (`api.images`).
    """

    async def _parse(self, stream, scope):
        raw = await _read(stream)
        parts = multipart.parse(Headers(scope=scope).get("content-type", ""), raw)
        files = [part for part in parts if part.filename is not None]
        pairs = [(part.name, part.text()) for part in parts if part.filename is None]
        body = coerce_form(_storable_text(pairs), self._schema)
        for part in files:
            if part.name in body:
                raise BadRequest(f"'{_short(part.name)}' is given more than once.", field=part.name, code="invalid")
            body[part.name] = self._data_url(part, scope)
        return body

    def _data_url(self, part, scope) -> str | list:
        if not _is_file(self._schema.get("properties", {}).get(part.name, {})):
            raise BadRequest(f"'{_short(part.name)}' takes text, not a file.", field=part.name, code="invalid")
        media_type = images.check_declared_type(part.content_type)
        max_bytes = settings_of(scope).max_image_bytes
        if len(part.data) > max_bytes:
            raise images.too_large(max_bytes)
        return f"data:{media_type};base64,{base64.b64encode(part.data).decode()}"


def _is_file(schema: dict) -> bool:
    return schema.get("format") == "binary"


def coerce_form(pairs: list[tuple[str, str]], schema: dict) -> dict:
    """Give form strings the types the schema asks for; values that do not fit stay strings and fail validation."""
    properties = schema.get("properties", {})
    collected: dict[str, list[str]] = {}
    for key, value in pairs:
        # The web UI sends arrays as `categories[0]=3`, `categories[1]=5`.
        name = key.split("[", 1)[0] if key.endswith("]") and "[" in key else key
        collected.setdefault(name, []).append(value)
    body = {}
    for name, values in collected.items():
        prop = properties.get(name, {})
        if prop.get("type") == "array":
            body[name] = [_coerce(v, prop.get("items", {})) for v in values]
        elif len(values) == 1:
            body[name] = _coerce(values[0], prop)
        else:
            body[name] = values
    return body


def _types(schema: dict) -> set[str]:
    alternatives = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return {alt.get("type") for alt in alternatives}


def _coerce(value: str, schema: dict) -> t.Any:
    types = _types(schema)
    # A form has no null: the word `null` stands for it (the spec says so); an empty value stays "".
    if schema.get("nullable") and value == "null":
        return None
    if "integer" in types and value.lstrip("-").isdigit():
        return int(value)
    if "boolean" in types and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


class ParamValidator(ParameterValidator):
    def validate_request(self, request):
        problems = []
        if self.strict_validation:
            unknown = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            problems += [
                (name, "unknown_parameter", f"'{_short(name)}' is not a parameter of this operation.")
                for name in sorted(unknown)
            ]
        # Header names compare without regard to case; Starlette's Headers does so.
        headers = _JoinedHeaders(request.headers)
        sources = {"query": request.query_params, "path": request.path_params, "header": headers}
        for location, values in sources.items():
            # Path-level parameters can appear more than once in Connexion's list.
            params = {param["name"]: param for param in self.parameters.get(location, [])}
            for name, param in params.items():
                problems += self._check(param, values.get(name))
        if problems:
            raise BadRequest(
                "The request is not valid; see `errors` for each parameter.", errors=field_errors(problems)
            )

    @staticmethod
    def _check(param: dict, value) -> list[tuple[str, str, str]]:
        name = param["name"]
        if value is None:
            return [(name, "required", "This parameter is required.")] if param.get("required") else []
        errors = validator_for(param["schema"], Draft4Validator).iter_errors(value)
        return [(name, str(e.validator), _short(e.message)) for e in errors]


class _JoinedHeaders:
    """Each header as the handlers read it: its lines joined with commas, as the WSGI bridge joins them.

    Connexion would validate the first line only, so limits such as a maxLength would not bound
    what a handler then parses (RFC 9110, section 5.3, makes several lines one list).
    """

    def __init__(self, headers):
        self._headers = headers

    def get(self, name: str) -> str | None:
        lines = self._headers.getlist(name)
        return ",".join(lines) if lines else None


class JSONResponseValidator(JSONResponseBodyValidator):
    """An answer to HEAD has the headers of the GET but no body, which would fail the GET's schema."""

    def wrap_send(self, send):
        return send if self._scope["method"] == "HEAD" else super().wrap_send(send)


def validator_map() -> dict:
    body = MediaTypeDict(dict(VALIDATOR_MAP["body"]))
    body["*/*json"] = JSONBodyValidator
    body["application/x-www-form-urlencoded"] = FormBodyValidator
    body["multipart/form-data"] = MultipartBodyValidator
    response = MediaTypeDict(dict(VALIDATOR_MAP["response"]))
    response["*/*json"] = JSONResponseValidator
    return {"body": body, "parameter": ParamValidator, "response": response}
