"""Settings are read from the environment when built (not at import), typed, and validated."""
import dataclasses

import pytest
from pydantic import ValidationError

from shared.settings import Settings, documented, load


def test_every_setting_keeps_its_variable_name():
    names = {env for env, _, _ in documented()}
    assert {"LIKELY_DATA_DIR", "LIKELY_GATEWAY_PORT", "LIKELY_RETRY_DELAYS", "AWS_DEFAULT_REGION"} <= names
    assert all(env.startswith("LIKELY_") for env in names - {"AWS_DEFAULT_REGION"})


def test_values_are_read_and_typed_when_built(monkeypatch):
    monkeypatch.setenv("LIKELY_GATEWAY_PORT", "9123")
    monkeypatch.setenv("LIKELY_RPC_TIMEOUT", "2.5")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    s = load()
    assert (s.gateway_port, s.rpc_timeout, s.aws_region) == (9123, 2.5, "eu-west-3")


def test_paths_in_the_data_dir_follow_it_unless_set(monkeypatch, tmp_path):
    monkeypatch.delenv("LIKELY_IMAGE_DIR", raising=False)
    monkeypatch.delenv("LIKELY_SANDBOX_ACCOUNTS", raising=False)
    monkeypatch.setenv("LIKELY_DATA_DIR", str(tmp_path))
    s = Settings()
    assert s.image_dir == str(tmp_path / "images")
    assert s.sandbox_accounts == str(tmp_path / "sandbox" / "accounts")
    monkeypatch.setenv("LIKELY_IMAGE_DIR", "/elsewhere")
    assert Settings().image_dir == "/elsewhere"


@pytest.mark.parametrize("variable, value", [("LIKELY_GATEWAY_PORT", "eighty"), ("LIKELY_RETRY_DELAYS", "1,0")])
def test_a_value_that_does_not_parse_is_refused_naming_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert refused.value.error_count() == 1
    assert variable in str(refused.value)


def test_a_copy_with_one_change_is_validated_and_keeps_the_rest():
    s = load()
    copy = dataclasses.replace(s, amqp_url="amqp://elsewhere//", gateway_port="8001")
    assert (copy.amqp_url, copy.gateway_port, copy.redis_url) == ("amqp://elsewhere//", 8001, s.redis_url)
    with pytest.raises(ValidationError):
        dataclasses.replace(s, gateway_port="eighty")


def test_settings_are_frozen():
    with pytest.raises(ValidationError):
        load().gateway_port = 1
