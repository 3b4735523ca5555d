"""Schemathesis hooks shared by the in-process contract test and the CLI run against a live server.

schemathesis.toml names this module, so every run from the project folder loads it.
"""

import json
import uuid

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData, Failure

# 400s that answer rules beyond the schema; any other 400 for schema-valid data is a contract bug.
# `unsupported_value`: a date-time the schema allows that leaves years 1-9999 once converted to UTC.
# The picture codes: the schema can say "a file" or "a base64 data URL", not "a decodable picture".
BUSINESS_RULE_CODES = {
    "does_not_exist",
    "duplicate",
    "invalid",
    "creator",
    "unsupported_value",
    "invalid_image",
    "empty",
    "too_small",
    "too_many_pixels",
    "type_mismatch",
}


class RejectedValidData(Failure):
    pass


@schemathesis.check
def positive_data_accepted(ctx, response, case):
    """Schema-valid requests are accepted, or refused for a documented business rule.

    Schemathesis' positive_data_acceptance accepts a 400 from the operations that schemathesis.toml
    names (their bodies refer to other things); this check tells which 400 that is: one with a
    business-rule code, never a schema validation error.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    codes = {m["code"] for e in json.loads(response.content)["errors"] for m in e["messages"]}
    if not codes <= BUSINESS_RULE_CODES:
        raise RejectedValidData(
            operation=case.operation.label,
            title="Schema-valid data rejected",
            message=f"Valid data got 400 with codes {sorted(codes)}: {response.text[:500]}",
        )
    return None


FORMS = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _vanishes_from_a_form(value) -> bool:
    # The serialiser writes no field at all for None, [] or {}: a form has no way to say them.
    return value is None or value == [] or value == {}


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    """Drop a "schema-violating request accepted" report whose violation never left the client.

    When the invalid value is one a form cannot carry, the request that was sent simply lacks the
    field and is valid, so accepting it is right.
    """
    if isinstance(failure, AcceptedNegativeData) and case.media_type in FORMS and isinstance(case.body, dict):
        return not any(_vanishes_from_a_form(value) for value in case.body.values())
    return True


class BearerToken:
    """A token given as auth rather than as a configured header.

    Schemathesis merges configured headers into the generated headers of operations that declare
    header parameters (Idempotency-Key, If-Match...), and its ignored_auth check then takes the
    token for a generated, probably invalid one and fails every 2xx. As auth, it stays explicit.
    """

    def __init__(self, token_source):
        self.token_source = token_source

    def get(self, case, context):
        return self.token_source()

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Send each valid request to a live server under a key of its own, as a real client does.

    Hypothesis builds a new sequence by replaying much of an earlier one, drawn values and all,
    so a create repeats an earlier create's key, path and body: the server rightly answers the
    remembered 201, for a course or section a later step of the earlier sequence deleted, and
    the stateful checks take the replay for a resource that vanished. tests/test_idempotency.py
    covers replays; the in-process run (tests/test_contract.py, which has an app) fuzzes the keys
    themselves and gives its sequences fresh keys of its own.
    """
    meta = case.meta
    if case.operation.app is not None or not (meta and meta.generation.mode.is_positive):
        return
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
