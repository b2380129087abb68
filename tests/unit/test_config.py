"""The config file: defaults from the catalog, overrides per namespace, unknown keys named."""

from __future__ import annotations

from pathlib import Path

import pytest

from vantiq_health.config import ConfigError, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vantiq-health.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert config.name("prod", "mongodb_service") == "mongodb"
    assert config.threshold("restart_count") == 5


def test_names_for_all_and_for_one_namespace(tmp_path: Path) -> None:
    config = load_config(
        _write(
            tmp_path, '[names]\nkeycloak = "kc"\n[namespaces.prod]\nmongodb_service = "vantiq-prod-mongodb"\n'
        )
    )
    assert config.name("prod", "mongodb_service") == "vantiq-prod-mongodb"
    assert config.name("internal", "mongodb_service") == "mongodb"
    assert config.name("prod", "keycloak") == "kc"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[thresholds]\nrestart_cuont = 3\n", "unknown key thresholds.restart_cuont"),
        ("[namess]\n", "unknown key namess"),
        ('[thresholds]\nrestart_count = "five"\n', "thresholds.restart_count must be a number"),
        ("[expect]\nself_signed = 1\n", "expect.self_signed must be true or false"),
        ("[names\n", "vantiq-health.toml"),
        ("[namespaces.prod]\nmongodb = 1\n", "namespaces.prod.mongodb must be a string"),
    ],
)
def test_bad_config_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(_write(tmp_path, text))
