"""How answers are written as JSON: compact, by orjson.

One serializer for the app (Connexion's response decorator) and for the stored answers of
idempotent requests, so that a replay repeats the first answer byte for byte. orjson writes the same
values as `json.dumps` did, without spaces, with keys in the order the schemas give them and
non-ASCII text as UTF-8 rather than escaped, in a tenth of the time: that shows on answers such as
a course with all its sections.
"""

import json

import orjson
from connexion.jsonifier import Jsonifier


class _Orjson:
    @staticmethod
    def dumps(data, **_json_options) -> str:
        # Connexion passes `json.dumps` options (an encoder class); orjson needs none of them.
        return orjson.dumps(data).decode()

    # Reading stays with the standard library: request bodies have their own strict parser (api.contract.validation).
    loads = staticmethod(json.loads)


JSONIFIER = Jsonifier(_Orjson)
