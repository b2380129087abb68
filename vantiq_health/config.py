"""The suite's configuration: component names, thresholds and expectations.

Every name and threshold the checks use comes from here, with the catalog's
defaults. Real installations rename things (the MongoDB headless service
`vantiq-<ns>-mongodb`, an org namespace called `internal`), so names can be
overridden for all namespaces (`[names]`) or for one (`[namespaces.NS]`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vantiq_health.i18n import msg, reason_of
from vantiq_health.waivers import Waiver, WaiverError, parse_waivers

DEFAULT_NAMES: dict[str, str] = {
    # installation namespace
    "vantiq": "vantiq",
    "mongodb": "mongodb",
    "mongodb_service": "mongodb",
    "metrics_collector": "metrics-collector",
    "mongobackup": "mongobackup",
    "mongorestore": "mongorestore",
    "userdbrestore": "userdbrestore",
    "userdb": "userdb",  # MG004: the userdb StatefulSet, when the installation uses one
    "mongo_user_env": "MONGO_USER",  # MG001/MG002: the vantiq container's MongoDB login ...
    "mongo_password_env": "MONGO_PASSWORD",
    "mongo_auth_db": "admin",  # ... and the database it authenticates against
    "keycloak_secret": "keycloak",
    "license_secret": "vantiq-license",
    "ssl_secret": "vantiq-ssl-cert",
    "license_mount": "/opt/vantiq/config/license",  # VQ002: where the vantiq container reads its license
    "backup_secret": "dbbackup-creds",
    "vantiq_config": "vantiq-config",
    "keycloak_init": "keycloak-init",
    "bootstrap": "bootstrap",
    # system namespace
    "keycloak": "keycloak",
    "grafana": "grafana",
    "grafanadb": "grafanadb-mysql",
    "influxdb": "influxdb",
    "telegraf_ds": "telegraf-ds",
    "telegraf_prom": "telegraf-prom",
    "influxdb_secret": "influxdb-auth",  # MT003/MT008: the InfluxDB login, from this Secret's keys
    "influxdb_user_key": "influxdb-user",
    "influxdb_password_key": "influxdb-password",
    # MT001/MT007 live: Grafana's admin login (Secret and keys; the user defaults to admin)
    "grafana_secret": "grafana",
    "grafana_user_key": "admin-user",
    "grafana_password_key": "admin-password",
    # MT002 live: Grafana's MySQL login (grafana.ini's [database] user/name win when set)
    "grafanadb_secret": "grafanadb-mysql",
    "grafanadb_password_key": "mysql-password",
    "grafanadb_user": "grafana",
    "grafanadb_database": "grafana",
}

DEFAULT_THRESHOLDS: dict[str, float] = {
    "restart_count": 5,  # WL001: restarts above this are named ...
    "restart_window_hours": 24,  # ... when the last one is this recent
    "init_container_minutes": 5,  # WL003
    "clock_skew_seconds": 2,  # NET004: beyond the lease renew interval
    "snapshot_max_file_mb": 1024,  # --snapshot: a file larger than this is refused (a real capture is far smaller)
    "pending_claim_minutes": 5,  # ST002: a claim Pending longer than this is stuck, not provisioning
    "log_tail_lines": 200,  # lines read per container log
    "cert_expiry_days": 30,  # VQ001
    "license_expiry_days": 30,  # VQ002
    "keycloak_pool_max": 20,  # KC004: Keycloak's connection pool maximum (WildFly default)
    "middlebox_idle_seconds": 240,  # KC004: idle timeout of the path to PostgreSQL (Azure LB: 4 min)
    "influxdb_window_minutes": 10,  # MT003/MT008: points this recent count as current
    "influxdb_free_warning_percent": 10,  # MT004: free space of the InfluxDB volume below this warns ...
    "influxdb_free_critical_percent": 5,  # ... and below this is critical
}

DEFAULT_EXPECT: dict[str, Any] = {
    "self_signed": False,  # VQ001: the installation declares a self-signed certificate
    # WL004: workloads that must exist, by the role of the namespace
    "installation_workloads": ["vantiq", "mongodb"],
    "system_workloads": ["keycloak"],
    # KC005: the Vantiq realm(s) whose Frontend URL is checked; empty: every realm except master
    "keycloak_realms": [],
}

DEFAULT_REDACTION: dict[str, str] = {
    # keyed fingerprints of secret values: empty = a random key per run; set it (16+ characters,
    # kept out of reports) when reports of several runs must show equal values as equal
    "fingerprint_key": "",
}
MIN_FINGERPRINT_KEY = 16

_TYPE_NAMES = {int: "a number", float: "a number", bool: "true or false", str: "a string", list: "a list"}
TOP_LEVEL = {"names", "thresholds", "expect", "namespaces", "redaction", "waivers", "lang"}
LANGS = ("en", "ja")  # lang = "ja": the language of every human text (see vantiq_health.i18n)


class ConfigError(Exception):
    """The config file is unreadable or has a key the suite does not know."""


@dataclass
class Config:
    names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NAMES))
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    expect: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_EXPECT))
    per_namespace: dict[str, dict[str, str]] = field(default_factory=dict)
    path: Path | None = None
    redaction: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REDACTION))
    waivers: list[Waiver] = field(default_factory=list)  # [[waivers]]: vantiq_health/waivers.py
    lang: str | None = None  # None: --lang, else the locale decides

    def name(self, namespace: str | None, role: str) -> str:
        """The name of a component in a namespace, e.g. name("prod", "mongodb_service")."""
        if namespace and role in self.per_namespace.get(namespace, {}):
            return self.per_namespace[namespace][role]
        return self.names[role]

    def threshold(self, key: str) -> float:
        return self.thresholds[key]

    @property
    def fingerprint_key(self) -> bytes | None:
        """The installation's fingerprint key, or None for a random key per run."""
        return self.redaction["fingerprint_key"].encode() or None


def _validated(section: str, given: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """The given keys, each known and of the default's type."""
    if not isinstance(given, dict):
        raise ConfigError(msg("common.config_not_table", section=section))
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults))
        raise ConfigError(msg("common.config_unknown_key", key=f"{section}.{unknown[0]}", known=known))
    for key, value in given.items():
        want = type(defaults[key])
        ok = isinstance(value, int | float) if want in (int, float) else isinstance(value, want)
        if not ok or isinstance(value, bool) is not isinstance(defaults[key], bool):
            kind = _TYPE_NAMES.get(want, want.__name__)
            raise ConfigError(
                msg("common.config_wrong_type", key=f"{section}.{key}", type=kind, value=repr(value))
            )
    return dict(given)


def _merge(section: str, given: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    return {**defaults, **_validated(section, given, defaults)}


def _redaction(given: Any) -> dict[str, str]:
    merged = _merge("redaction", given, DEFAULT_REDACTION)
    if 0 < len(merged["fingerprint_key"]) < MIN_FINGERPRINT_KEY:
        raise ConfigError(msg("common.config_short_key", n=MIN_FINGERPRINT_KEY))
    return merged


def _lang(given: Any) -> str | None:
    if given is not None and given not in LANGS:
        raise ConfigError(msg("common.config_lang", langs=", ".join(LANGS), given=repr(given)))
    return given


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(msg("common.config_unreadable", path=str(path), error=exc.strerror)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(msg("common.config_in_file", path=str(path), error=str(exc))) from None
    unknown = sorted(set(raw) - TOP_LEVEL)
    if unknown:
        known = ", ".join(sorted(TOP_LEVEL))
        raise ConfigError(
            msg(
                "common.config_at",
                path=str(path),
                error=msg("common.config_unknown_key", key=unknown[0], known=known),
            )
        )
    per_ns = raw.get("namespaces", {})
    if not isinstance(per_ns, dict):
        raise ConfigError(msg("common.config_at", path=str(path), error=msg("common.config_namespaces")))
    try:
        return Config(
            names=_merge("names", raw.get("names", {}), DEFAULT_NAMES),
            thresholds=_merge("thresholds", raw.get("thresholds", {}), DEFAULT_THRESHOLDS),
            expect=_merge("expect", raw.get("expect", {}), DEFAULT_EXPECT),
            redaction=_redaction(raw.get("redaction", {})),
            per_namespace={
                ns: _validated(f"namespaces.{ns}", names, DEFAULT_NAMES) for ns, names in per_ns.items()
            },
            path=path,
            waivers=parse_waivers(raw.get("waivers", [])),
            lang=_lang(raw.get("lang")),
        )
    except (ConfigError, WaiverError) as exc:
        raise ConfigError(msg("common.config_at", path=str(path), error=reason_of(exc))) from None
