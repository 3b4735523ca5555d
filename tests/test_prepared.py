"""api/serving/prepared.py re-implements parts of Connexion 3.3.0, and api/app.py builds its middleware stack
early: these tests fail when the upstream code they rely on changes.

When one fails, read the new upstream source, carry over what changed into api/serving/prepared.py (its
docstring lists every difference on purpose), and update the digest here.
"""

import hashlib
import inspect

import pytest
from connexion.datastructures import MediaTypeDict
from connexion.middleware.main import ConnexionMiddleware
from connexion.middleware.request_validation import RequestValidationOperation

from api import app as app_module
from api.config import Settings
from api.contract import validation
from tests.support.tokens import SECRET

# SHA-256 prefixes of the source of the upstream methods that api/serving/prepared.py replaces or relies on.
UPSTREAM = {
    "__call__": "af472716211911b9",
    "validate_mime_type": "cdb95c7df215a7dd",
    "extract_content_type": "b08fa016a712fc41",
}


# api/app.py calls `_build_middleware_stack` at start-up, which `__call__` would otherwise call on the
# first request (and skips once `middleware_stack` is set).
UPSTREAM_STACK = {"_build_middleware_stack": "87c580cd81e68e94", "__call__": "473eac78e7a24c3f"}


def digest(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", UPSTREAM)
def test_upstream_request_validation_is_the_one_we_copied(name):
    assert digest(getattr(RequestValidationOperation, name)) == UPSTREAM[name]


@pytest.mark.parametrize("name", UPSTREAM_STACK)
def test_upstream_middleware_stack_is_built_as_we_rely_on(name):
    assert digest(getattr(ConnexionMiddleware, name)) == UPSTREAM_STACK[name]


def test_a_media_type_without_a_validator_stops_the_start(monkeypatch, tmp_path):
    def without_multipart():
        validators = validation.validator_map()
        validators["body"] = MediaTypeDict(
            {key: value for key, value in validators["body"].items() if key != "multipart/form-data"}
        )
        return validators

    monkeypatch.setattr(app_module, "validator_map", without_multipart)

    with pytest.raises(ValueError, match="multipart/form-data body, but no schema or no validator"):
        app_module.create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", jwt_secret=SECRET))
