"""Request validation from the spec, with errors that name the offending field.

Connexion validates every request against the spec; these subclasses only change how bodies are
read (strict JSON, forms turned into typed JSON) and how failures are reported (one entry per field
in the SDK's shape instead of a single sentence).
"""

import base64
import itertools
import json
import math
import re
import typing as t
from itertools import accumulate, islice
from urllib.parse import parse_qsl

import flask
from connexion.datastructures import MediaTypeDict
from connexion.validators import (
    VALIDATOR_MAP,
    FormDataValidator,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError
from starlette.datastructures import Headers, MutableHeaders

from api.config import ASGI_SCOPE, settings_of
from api.contract import keywords, multipart
from api.errors import MAX_ERRORS, BadRequest, PayloadTooLarge, listed
from api.pictures import images

MESSAGE_LIMIT = 200
# JSON nested deeper than this, or holding more arrays and objects, is refused before it is parsed.
# No request needs as much (a course sent back whole with 1 000 sections holds about 2 100), and
# each costs work of Python: a megabyte of `{}` took a third of a second to parse.
MAX_DEPTH = 64
MAX_CONTAINERS = 10_000
# A form value is an integer only when written in ASCII digits (int() would also take "٣" and "²"),
# and only up to 19 of them, more than an id needs (16); anything else stays text and fails validation.
_FORM_INTEGER = re.compile(r"-?[0-9]{1,19}")
# schema id -> (schema, the pattern of the text it takes for an integer, or None); see _integer_text.
_integer_texts: dict[int, tuple[dict, re.Pattern | None]] = {}


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _describe(error: ValidationError, prefix: str = "") -> list[tuple[str | None, str, str]]:
    # The absolute path: an alternative's errors (below) have their paths relative to the alternative.
    path = ".".join(str(p) for p in error.absolute_path)
    base = _short(".".join(p for p in (prefix, path) if p))
    if error.validator in ("anyOf", "oneOf") and error.context:
        # A value that has the type of one alternative (an integer, or its text) fails for that
        # alternative's reason (`minimum`, `pattern`), which says more than "none matched".
        alternative = _alternative_of_its_type(error)
        if alternative is None:
            return [(base or None, "type", _short(error.message))]
        return [item for inner in alternative for item in _describe(inner, prefix)]
    if error.validator == "additionalProperties":
        return [
            (_join(base, name), "unknown_field", f"'{_short(name)}' is not a field of this resource.")
            for name in keywords.unknown_names(error.instance, error.schema, MAX_ERRORS + 1)
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


def _alternative_of_its_type(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the one alternative whose type the value has, or None when it has none's (or several's)."""
    alternatives: dict[int, list[ValidationError]] = {}
    for inner in error.context:
        alternatives.setdefault(inner.relative_schema_path[0], []).append(inner)
    typed = [
        errors
        for errors in alternatives.values()
        if not any(inner.validator == "type" and not inner.relative_path for inner in errors)
    ]
    return typed[0] if len(typed) == 1 else None


def _join(base: str, name: str) -> str:
    return _short(f"{base}.{name}" if base else name)


def raise_for_errors(validator, instance, prefix: str = "") -> None:
    # iter_errors finds errors lazily: looking for one more than we list is all the work done.
    errors = sorted(islice(validator.iter_errors(instance), MAX_ERRORS + 1), key=lambda e: [str(p) for p in e.path])
    if errors:
        # jsonschema reports each missing property as an error of its own, each naming them all.
        problems = list(dict.fromkeys(item for error in errors for item in _describe(error, prefix)))
        refuse("The request is not valid; see `errors` for each field.", problems)


def refuse(detail: str, problems: list[tuple[str | None, str, str]]) -> t.NoReturn:
    raise BadRequest(**listed(detail, problems))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs):
    result = dict(pairs)  # in C: a loop here made a body of many small objects take half a second
    if len(result) != len(pairs):
        seen = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"duplicate key {_short(duplicate)!r}")
    return result


def parse_json(raw: bytes) -> t.Any:
    """Strict JSON: UTF-8 only, no NaN/Infinity, no repeated keys, at most MAX_DEPTH levels."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.", code="parse_error")
    _check_shape(text)
    try:
        body = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {_short(str(exc))}", code="parse_error")
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(body)
    return body


# What matters to the shape of JSON text, found by regular expressions, which run in C: walking the
# parsed result of a megabyte of small objects in Python took half a second of the event loop.
# Escapes go first, so that a string is simply quote, non-quotes, quote: a pattern that also had to
# step over escaped quotes would start again at each of them when the closing quote is missing
# (quadratic: 9 s for 40 KB).
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Valid UTF-8 cannot hold a surrogate; only a \uD800-\uDFFF escape can make one (alone, unpaired).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def json_structure(text: str) -> str:
    """JSON text without its strings: what is left tells its arrays and objects (brackets in strings do not count)."""
    return _STRING.sub("", _ESCAPE.sub("", text))


def _check_shape(text: str) -> None:
    """Refuse JSON text nested more than MAX_DEPTH levels or holding more than MAX_CONTAINERS arrays and objects."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # too few brackets for either (the usual case), known without the work below
    structure = json_structure(text)
    if structure.count("[") + structure.count("{") > MAX_CONTAINERS:
        raise BadRequest(f"The body holds more than {MAX_CONTAINERS} arrays and objects.", code="parse_error")
    brackets = _NOT_BRACKET.sub("", structure)
    if len(brackets) > 2 * MAX_CONTAINERS:  # closing brackets without openers: not JSON at all
        raise BadRequest("The body is not valid JSON: its brackets do not pair up.", code="parse_error")
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise BadRequest(f"The body is nested more than {MAX_DEPTH} levels deep.", code="parse_error")


def _check_strings(value: t.Any) -> None:
    """Refuse lone UTF-16 surrogates: JSON escapes allow them, but no database can store them."""
    pending = [[value]]
    while pending:
        item = pending.pop()
        for part in itertools.chain.from_iterable(item.items()) if isinstance(item, dict) else item:
            if isinstance(part, str):
                _check_text(part)
            elif isinstance(part, list | dict):
                pending.append(part)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("Text may not contain unpaired UTF-16 surrogates.", code="invalid_text")


# schema id -> (schema, validator). Connexion builds a validator per request; building one costs
# far more than running it, and the schemas live as long as the app.
_validators: dict[int, tuple[dict, Draft4Validator]] = {}


def validator_for(schema: dict, cls=keywords.BodyValidator) -> Draft4Validator:
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
        extensions = self.environ.get(ASGI_SCOPE, {}).get("extensions", {})
        if PARSED_BODY in extensions:
            return extensions[PARSED_BODY]
        return super().get_json(force=force, silent=silent, cache=cache)


def _limit_apart_from_picture(scope, size: int) -> None:
    """A course write may pass MAX_BODY_BYTES (GuardBodies lets it) only by the picture it really carries."""
    limit = settings_of(scope).max_body_bytes
    if size > limit:
        raise PayloadTooLarge(f"Apart from its picture, the body is larger than the limit of {limit} bytes.")


def _parse_json_body(raw: bytes, scope, schema: dict) -> t.Any:
    if len(raw) > settings_of(scope).max_body_bytes and f'"{images.FIELD}"'.encode() not in raw:
        _limit_apart_from_picture(scope, len(raw))  # no picture to explain the size: no need to parse
    body = parse_json(raw)
    picture = body.get(images.FIELD) if isinstance(body, dict) else None
    _limit_apart_from_picture(scope, len(raw) - (len(picture) if isinstance(picture, str) else 0))
    return typed_integers(body, schema)


def _alternatives(schema: dict) -> list[dict]:
    """The schema and the members of its anyOf, oneOf and allOf, flattened."""
    found = [schema]
    for keyword in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(keyword, []):
            found += _alternatives(member)
    return found


def _integer_text(schema: dict) -> re.Pattern | None:
    """The pattern of the text an integer field also takes (`IdText`, `DripDelayText`), if it takes one.

    The spec says which strings stand for an integer: those the field's string alternative admits,
    beside an integer alternative. Reading exactly those as integers keeps what is accepted what the
    spec says, for Schemathesis as for clients.
    """
    entry = _integer_texts.get(id(schema))
    if entry is None or entry[0] is not schema:
        alternatives = _alternatives(schema)
        texts = [alt["pattern"] for alt in alternatives if alt.get("type") == "string" and "pattern" in alt]
        takes_integer = any(alt.get("type") == "integer" for alt in alternatives)
        entry = _integer_texts[id(schema)] = (schema, re.compile(texts[0]) if takes_integer and texts else None)
    return entry[1]


def _as_integer(value: str, schema: dict) -> int | str:
    """`value` as the integer it spells when the schema takes integers as text (`_integer_text`); else unchanged."""
    pattern = _integer_text(schema)
    # maxLength first: the spec's patterns are linear, but a megabyte string needs no matching at all.
    if pattern is not None and len(value) <= 19 and pattern.search(value):
        return int(value)
    return value


def typed_integers(value: t.Any, schema: dict, path: str = "") -> t.Any:
    """JSON `value` with the integers its schema allows as text (`"14"`) read as integers: the one place
    where that happens ("Integers written as text" in the spec's conventions), before validation.

    It walks only what the schema describes, and skips a list its maxItems refuses anyway, so its
    cost stays below that of the validation that follows.
    """
    if isinstance(value, str):
        return _as_integer(value, schema)
    if isinstance(value, list):
        alternatives = _alternatives(schema)
        items = [alt["items"] for alt in alternatives if isinstance(alt.get("items"), dict)]
        if not items or len(value) > min(alt.get("maxItems", math.inf) for alt in alternatives):
            return value
        typed = [typed_integers(item, items[0], f"{path}.{index}") for index, item in enumerate(value)]
        if typed != value and any(alt.get("uniqueItems") for alt in alternatives):
            _refuse_repeats_made_by_text(value, typed, path)
        return typed
    if isinstance(value, dict):
        properties = {}
        for alt in _alternatives(schema):
            properties.update(keywords.properties_of(alt))
        for name in value.keys() & properties.keys():
            value[name] = typed_integers(value[name], properties[name], f"{path}.{name}" if path else name)
    return value


def _refuse_repeats_made_by_text(sent: list, typed: list, path: str) -> None:
    """`[3, "3"]` holds two distinct JSON values, which `uniqueItems` allows, but names one id twice.

    That is a rule of its own (code `duplicate`); repeats already in what was sent are left to `uniqueItems`.
    """
    if len(set(map(keywords.identity, sent))) == len(sent):
        refuse_repeats(typed, path)


def refuse_repeats(items: list, path: str) -> None:
    if len(set(map(keywords.identity, items))) < len(items):
        raise BadRequest("The list names the same number twice.", field=_short(path), code="duplicate")


class JSONBodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream, scope):
        raw = await _read(stream)
        body = _parse_json_body(raw, scope, self._schema) if raw else None
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
            return _parse_json_body(raw, scope, self._schema)
        try:
            pairs = parse_qsl(
                raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw), encoding="utf-8", errors="strict"
            )
        except (UnicodeError, ValueError):
            raise BadRequest("The form body is malformed or not UTF-8.", code="parse_error")
        _limit_apart_from_picture(scope, sum(len(k) + len(v) + 2 for k, v in pairs if k != images.FIELD))
        return coerce_form(pairs, self._schema)

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
    the one path that checks pictures (`api.pictures.images`).
    """

    async def _parse(self, stream, scope):
        raw = await _read(stream)
        parts = multipart.parse(Headers(scope=scope).get("content-type", ""), raw)
        files = [part for part in parts if part.is_file]
        _limit_apart_from_picture(scope, len(raw) - sum(len(part.data) for part in files))
        pairs = [(part.name, part.text()) for part in parts if not part.is_file]
        body = coerce_form(pairs, self._schema)
        for part in files:
            if part.name in body:
                raise BadRequest(f"'{_short(part.name)}' is given more than once.", field=part.name, code="invalid")
            body[part.name] = self._data_url(part, scope)
        return body

    def _data_url(self, part, scope) -> str | list:
        if not _is_file(keywords.properties_of(self._schema).get(part.name, {})):
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
    properties = keywords.properties_of(schema)
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
            if prop.get("uniqueItems") and len(values) <= prop.get("maxItems", math.inf):
                # A form writes 3 and "3" alike, which the schema tells apart: a repeat is the rule's.
                refuse_repeats(body[name], name)
        elif len(values) == 1:
            body[name] = _coerce(values[0], prop)
        else:
            body[name] = values
    return body


def read_form_integer(value: str) -> int | str:
    """A form value (or a query item) as an integer when written as one in ASCII digits; else the text."""
    return int(value) if _FORM_INTEGER.fullmatch(value) else value


def _types(schema: dict) -> set[str]:
    alternatives = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return {alt.get("type") for alt in alternatives}


def _coerce(value: str, schema: dict) -> t.Any:
    types = _types(schema)
    # A form has no null: the word `null` stands for it (the spec says so); an empty value stays "".
    if schema.get("nullable") and value == "null":
        return None
    if _integer_text(schema) is not None:
        # In a form every value is text: an integer too large for the text alternative (a 16-digit
        # id) is still read, when written in its own decimal form ("01" and "-0" stay text).
        typed = _as_integer(value, schema)
        if typed is value and _FORM_INTEGER.fullmatch(value) and str(int(value)) == value:
            return int(value)
        return typed
    if "integer" in types:
        return read_form_integer(value)
    if "boolean" in types and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


class ParamValidator(ParameterValidator):
    def validate_request(self, request):
        problems = []
        if self.strict_validation:
            unknown = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            problems += [
                (_short(name), "unknown_parameter", f"'{_short(name)}' is not a parameter of this operation.")
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
            refuse("The request is not valid; see `errors` for each parameter.", problems)

    @staticmethod
    def _check(param: dict, value) -> list[tuple[str, str, str]]:
        name = param["name"]
        if value is None:
            return [(name, "required", "This parameter is required.")] if param.get("required") else []
        errors = islice(validator_for(param["schema"], keywords.ParameterValidator).iter_errors(value), MAX_ERRORS + 1)
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
