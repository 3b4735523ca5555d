"""api/serving/prepared.py at start-up. The upstream code it copies is fingerprinted in tests/test_upstream.py."""

import pytest
from connexion.datastructures import MediaTypeDict

from api import app as app_module
from api.config import Settings
from api.contract import validation
from tests.support.tokens import SECRET


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
