"""JSON Schema validators whose cost grows linearly with the request, whatever its content.

Request validation runs in the event loop of a worker, so a slow check stalls every request of that
worker. jsonschema evaluates every keyword even when a cheaper one has already failed: a `pattern`
runs over a string that `maxLength` refuses, `items` over each of 30 000 items that `maxItems`
refuses. Its `uniqueItems` sorts the list, falling back to comparing every pair (O(n²)) when the
items cannot be sorted (a boolean among numbers, objects), and `additionalProperties` sorts and
lists every unknown name in its message. Here the costly keywords give way to the cheap limit that
already refuses the value, `uniqueItems` hashes, and unknown names are found with a set difference.
"""

import heapq
import math

from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator, ValidationError
from jsonschema.validators import extend


def _too_long(instance, schema) -> bool:
    return isinstance(instance, str) and len(instance) > schema.get("maxLength", math.inf)


def _too_many(instance, schema) -> bool:
    return isinstance(instance, list) and len(instance) > schema.get("maxItems", math.inf)


def _after_limit(keyword, exceeded):
    """`keyword`, skipped when the value already breaks the limit that `exceeded` tests (reported on its own)."""

    def check(validator, value, instance, schema):
        if not exceeded(instance, schema):
            yield from keyword(validator, value, instance, schema)

    return check


def identity(value):
    """A hashable stand-in for a JSON value; equal exactly when JSON Schema calls two values equal.

    JSON Schema equality differs from Python's in one place: `true` is not `1` and `false` not `0`.
    """
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 and 1.0 are the same number, and hash alike
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(identity(item) for item in value))
    return ("object", frozenset((key, identity(item)) for key, item in value.items()))


def unique_items(validator, unique, instance, schema):
    if not unique or not isinstance(instance, list) or _too_many(instance, schema):
        return
    seen = set()
    for index, item in enumerate(instance):
        key = identity(item)
        if key in seen:
            yield ValidationError(f"item {index} repeats an earlier item; every item must be unique")
            return
        seen.add(key)


def properties_of(schema: dict) -> dict:
    """The properties `schema` declares, its `allOf` members' included (a `*Input` variant adds
    `required` to the schema that lists the fields)."""
    properties = dict(schema.get("properties", {}))
    for member in schema.get("allOf", []):
        properties.update(properties_of(member))
    return properties


def unknown_names(instance: dict, schema: dict, count: int) -> list[str]:
    """The first `count` names of `instance` (in sorted order) that `schema` does not list."""
    return heapq.nsmallest(count, instance.keys() - schema.get("properties", {}).keys())


def _no_additional_properties(keyword):
    def check(validator, allowed, instance, schema):
        if allowed is not False or "patternProperties" in schema or not isinstance(instance, dict):
            yield from keyword(validator, allowed, instance, schema)
        elif unknown_names(instance, schema, 1):
            yield ValidationError("Properties that the schema does not list are not allowed")

    return check


def _linear(base):
    keywords = base.VALIDATORS
    return extend(
        base,
        {
            "pattern": _after_limit(keywords["pattern"], _too_long),
            "items": _after_limit(keywords["items"], _too_many),
            "uniqueItems": unique_items,
            "additionalProperties": _no_additional_properties(keywords["additionalProperties"]),
        },
    )


# Bodies (with Connexion's `nullable`) and parameters.
BodyValidator = _linear(Draft4RequestValidator)
ParameterValidator = _linear(Draft4Validator)
