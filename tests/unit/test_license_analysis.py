"""VQ002: the license file's expiry as redaction reads it, and the Secret, mount and restart judged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.scenarios.broken_tls import LICENSE_CANARY, license_file
from tests.scenarios.objects import b64
from vantiq_health.analysis.license import license_findings, read_license
from vantiq_health.redact import sanitize_secret

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PATH = "/opt/vantiq/config/license"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            license_file(datetime(2027, 3, 31, tzinfo=UTC)),
            {"format": "armoured jwt", "expires": "2027-03-31T00:00:00+00:00"},
        ),
        (
            license_file(datetime(2027, 3, 31, tzinfo=UTC), armour=False),
            {"format": "jwt", "expires": "2027-03-31T00:00:00+00:00"},
        ),
        (
            json.dumps({"customer": "x", "expirationDate": "2027-01-15"}).encode(),
            {"format": "json", "expires": "2027-01-15T00:00:00+00:00"},
        ),
        (
            json.dumps({"expires_at": 1800000000000}).encode(),
            {"format": "json", "expires": "2027-01-15T08:00:00+00:00"},
        ),
        (
            b"customer = Acme\nexpiration = 2027-02-01T00:00:00Z\n",
            {"format": "text", "expires": "2027-02-01T00:00:00+00:00"},
        ),
        (
            b"-----BEGIN VANTIQ LICENSE-----\nbGljZW5zZQ==\n-----END VANTIQ LICENSE-----\n",
            {"format": "armoured unknown", "expires": None},
        ),
        (
            b"-----BEGIN VANTIQ LICENSE-----\n%%%\n-----END VANTIQ LICENSE-----\n",
            {"format": "armoured", "expires": None},
        ),
        (b"a.!!!.c", {"format": "unknown", "expires": None}),
        (
            b"eyJ.eyJleHAiOiJub3QgYSB0aW1lIn0.x",
            {"format": "jwt", "expires": None},
        ),  # a JWT whose exp is no time
        (b"\xff\xfe binary", {"format": "unknown", "expires": None}),
    ],
    ids=[
        "armoured-jwt",
        "jwt",
        "json-date",
        "json-epoch-ms",
        "text-line",
        "opaque",
        "bad-armour",
        "not-jwt",
        "bad-claims",
        "binary",
    ],
)
def test_the_expiry_is_read_when_the_format_says_it(content: bytes, expected: dict) -> None:
    assert read_license(content) == expected


def test_the_record_holds_the_expiry_and_nothing_of_the_content() -> None:
    raw = {
        "metadata": {"name": "vantiq-license", "namespace": "prod"},
        "data": {"license.key": b64(license_file(NOW))},
    }
    clean, _ = sanitize_secret(raw)
    record = clean["data"]["license.key"]
    assert record["license"] == {"format": "armoured jwt", "expires": NOW.isoformat()}
    assert LICENSE_CANARY not in json.dumps(clean)
    assert (
        "license"
        not in sanitize_secret({"metadata": {"name": "x"}, "data": {"password": b64(b"p")}})[0]["data"][
            "password"
        ]
    )


def _pod(
    i: int, *, mounted: str | None = "vantiq-license", started: datetime = NOW - timedelta(days=3)
) -> dict:
    volumes = [{"name": "lic", "secret": {"secretName": mounted}}] if mounted else []
    return {
        "metadata": {"name": f"vantiq-{i}", "namespace": "prod"},
        "spec": {
            "containers": [
                {"name": "vantiq", "volumeMounts": [{"name": "lic", "mountPath": PATH}] if mounted else []}
            ],
            "volumes": volumes,
        },
        "status": {
            "containerStatuses": [
                {"name": "vantiq", "state": {"running": {"startedAt": started.isoformat()}}}
            ]
        },
    }


def _secret(content: bytes, written: datetime = NOW - timedelta(days=30)) -> dict:
    raw = {
        "metadata": {
            "name": "vantiq-license",
            "namespace": "prod",
            "managedFields": [
                {"manager": "kubectl", "time": written.isoformat(), "fieldsV1": {"f:data": {}}}
            ],
        },
        "data": {"license.key": b64(content)},
    }
    return sanitize_secret(raw)[0]


def judge(secret: dict | None, pods: list[dict]) -> tuple[list[tuple[str, str]], list[str]]:
    found, facts = license_findings(
        secret,
        pods,
        secret_name="vantiq-license",
        container="vantiq",
        path=PATH,
        namespace="prod",
        now=NOW,
        expiry_days=30,
    )
    return [(f.severity, f.diagnosis) for f in found], facts


def test_current_and_mounted_passes_with_the_expiry() -> None:
    found, facts = judge(_secret(license_file(NOW + timedelta(days=200))), [_pod(0), _pod(1)])
    assert found == []
    assert facts == [
        f"Secret vantiq-license mounted at {PATH} in 2 pod(s)",
        "the license expires on 2027-06-17 (200 days), read from license.key",
    ]


def test_missing() -> None:
    assert judge(None, [_pod(0)]) == (
        [("warning", "Secret prod/vantiq-license does not exist: Vantiq has no license to read")],
        [],
    )


def test_not_mounted_or_another_secret_mounted() -> None:
    found, _ = judge(
        _secret(license_file(NOW + timedelta(days=200))),
        [_pod(0, mounted=None), _pod(1, mounted="old-license"), _pod(2)],
    )
    assert found == [
        (
            "warning",
            f"the license Secret vantiq-license is not mounted at {PATH} in 2 vantiq pod(s): Vantiq does not find its license",
        )
    ]


@pytest.mark.parametrize(
    ("days", "severity", "said"),
    [(12.2, "warning", "expires in 12 day(s), on 2026-12-11"), (-1, "warning", "expired on 2026-11-28")],
)
def test_expiring_and_expired(days: float, severity: str, said: str) -> None:
    found, _ = judge(_secret(license_file(NOW + timedelta(days=days))), [_pod(0)])
    assert found == [(severity, f"the Vantiq license in Secret vantiq-license {said}")]


def test_unreadable_expiry_is_said_not_guessed() -> None:
    found, facts = judge(
        _secret(b"-----BEGIN VANTIQ LICENSE-----\nbGljZW5zZQ==\n-----END VANTIQ LICENSE-----\n"), [_pod(0)]
    )
    assert found == []
    assert facts[-1] == (
        "the expiry cannot be read from the license file (armoured unknown): see System Admin >> About in Vantiq"
    )


def test_a_license_newer_than_the_pods_points_to_sec003() -> None:
    secret = _secret(license_file(NOW + timedelta(days=300)), written=NOW - timedelta(hours=1))
    found, facts = judge(secret, [_pod(0), _pod(1, started=NOW - timedelta(days=1))])
    assert found == [
        (
            "info",
            f"Secret vantiq-license was written {(NOW - timedelta(hours=1)).isoformat()}, after the vantiq pods started "
            f"({(NOW - timedelta(days=3)).isoformat()}): the new license is not in effect until they restart (see SEC003)",
        )
    ]
    assert "(the Secret's license; the pods still run with the one before it)" in facts[-1]


def test_no_vantiq_pod_says_the_mount_was_not_checked() -> None:
    _, facts = judge(_secret(license_file(NOW + timedelta(days=200))), [])
    assert facts[0] == f"no vantiq pod in prod: the mount at {PATH} is not checked"


@pytest.mark.parametrize(
    "content",
    [b'{"exp": 1e300}', b'{"exp": -1e20}', b"[" * 100000, b'{"expires": "9999-99-99"}'],
    ids=["far-future", "far-past", "deep-nesting", "no-date"],
)
def test_nothing_raises_out_of_the_reader(content: bytes) -> None:
    assert read_license(content)["expires"] is None
