"""Array query parameters in the three spellings clients use: repeated, comma-separated, JSON text.

`statuses=joined&statuses=manager` (the spec's `form`/`explode` style), `statuses=joined,manager`
and `statuses=["joined","manager"]` (what the official web app sends) all mean the same list. Connexion
reads a query through its URI parser, for validation and for the handler's arguments alike; this
parser is the one place where an array parameter's values become its items.
"""

import json

from connexion.uri_parsing import OpenAPIURIParser

from api.contract.validation import json_structure, read_form_integer
from api.errors import BadRequest

# However a list is written, one parameter holds at most this many values (repeated keys, commas or
# JSON items): far more than any of the spec's lists allows (50 at most), and refused before the
# values are read one by one.
MAX_VALUES = 100


def _refuse(name: str, code: str, message: str):
    raise BadRequest(f"The query parameter '{name}' is not valid: {message}", field=name, code=code)


def _json_items(name: str, text: str) -> list[str]:
    """The items of a flat JSON array of strings and integers, each as its text."""
    if text.count("[") + text.count("{") > 1 and sum(map(json_structure(text).count, "[{")) > 1:
        _refuse(name, "invalid", "a JSON array here may hold only strings and integers.")
    try:
        items = json.loads(text)
    except ValueError:
        _refuse(name, "invalid", "it starts with '[' but is not a JSON array.")
    if not isinstance(items, list):
        _refuse(name, "invalid", "it starts with '[' but is not a JSON array.")
    if any(isinstance(item, bool) or not isinstance(item, str | int) for item in items):
        _refuse(name, "invalid", "a JSON array here may hold only strings and integers.")
    return [item if isinstance(item, str) else str(item) for item in items]


class ListQueryParser(OpenAPIURIParser):
    """Connexion's OpenAPI URI parser, with array query parameters read in any of the three spellings."""

    def resolve_query(self, query_data):
        lists = {name for name in query_data if self.param_schemas.get(name, {}).get("type") == "array"}
        resolved = super().resolve_query({k: v for k, v in query_data.items() if k not in lists})
        for name in lists:
            resolved[name] = self._items(name, query_data[name])
        return resolved

    def _items(self, name: str, values: list[str]) -> list:
        schema = self.param_schemas[name]
        limit = min(schema.get("maxItems", MAX_VALUES), MAX_VALUES)
        # Counted before anything is split or parsed: a comma stands for one more value, in any spelling.
        if len(values) > limit or sum(value.count(",") + 1 for value in values) > MAX_VALUES:
            _refuse(name, "maxItems", f"it may list at most {limit} items.")
        items = []
        for value in values:
            items += _json_items(name, value) if value.lstrip().startswith("[") else value.split(",")
        if len(items) > limit:
            _refuse(name, "maxItems", f"it may list at most {limit} items.")
        if schema.get("items", {}).get("type") == "integer":
            return [read_form_integer(item) for item in items]
        return items
