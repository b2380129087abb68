"""KC005 through the whole suite against a stand-in of Keycloak 15's admin REST API (pytest-httpserver).

Real paths and payload shapes: the master realm's token endpoint (password grant, `admin-cli`),
`GET /auth/admin/realms` and `GET /auth/admin/realms/{realm}` with `attributes.frontendUrl`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.harness import SuiteRun, run_live, run_suite
from tests.probes.portforward import ForwardingCluster
from tests.scenarios.installation import DOMAIN, baseline
from tests.scenarios.objects import b64

ADMIN_PASSWORD, TOKEN = "Kc-admin-s3cret", "eyJhbGciOiJSUzI1NiJ9.test-token"  # the baseline's shared/keycloak


def _keycloak(server: HTTPServer, attributes: dict[str, Any]) -> None:
    def token(request: Request) -> Response:
        form = request.form
        if (form.get("grant_type"), form.get("client_id"), form.get("username"), form.get("password")) != (
            "password",
            "admin-cli",
            "keycloak",
            ADMIN_PASSWORD,
        ):
            body = {"error": "invalid_grant", "error_description": "Invalid user credentials"}
            return Response(json.dumps(body), 401, content_type="application/json")
        body = {"access_token": TOKEN, "expires_in": 60, "token_type": "Bearer", "scope": "profile email"}
        return Response(json.dumps(body), 200, content_type="application/json")

    def authorized(payload: Any) -> Any:
        def handler(request: Request) -> Response:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return Response('{"error":"HTTP 401 Unauthorized"}', 401, content_type="application/json")
            return Response(json.dumps(payload), 200, content_type="application/json")

        return handler

    server.expect_request(
        "/auth/realms/master/protocol/openid-connect/token", method="POST"
    ).respond_with_handler(token)
    server.expect_request("/auth/admin/realms", method="GET").respond_with_handler(
        authorized([{"id": "master", "realm": "master"}, {"id": "vantiq", "realm": "vantiq"}])
    )
    server.expect_request("/auth/admin/realms/vantiq", method="GET").respond_with_handler(
        authorized({"id": "vantiq", "realm": "vantiq", "enabled": True, "attributes": attributes})
    )


def _run(pytester: pytest.Pytester, endpoint: str, sc=None) -> SuiteRun:
    return run_live(
        pytester, sc or baseline(), "-k", "frontend", f"--endpoint=keycloak={endpoint}", live=True
    )


def test_the_frontend_url_on_the_ingress_domain_passes(
    pytester: pytest.Pytester, httpserver: HTTPServer
) -> None:
    _keycloak(httpserver, {"frontendUrl": f"https://{DOMAIN}/auth/", "userProfileEnabled": "false"})
    run = _run(pytester, f"http://127.0.0.1:{httpserver.port}/auth")
    assert run.outcomes()[("KC005", "shared")] == "passed", run.output()
    assert f"realm vantiq: Frontend URL https://{DOMAIN}/auth/" in run.message("KC005", "shared")


def test_a_missing_frontend_url_fails(pytester: pytest.Pytester, httpserver: HTTPServer) -> None:
    _keycloak(httpserver, {"userProfileEnabled": "false"})
    run = _run(pytester, f"127.0.0.1:{httpserver.port}")  # HOST:PORT: http and Keycloak 15's /auth
    assert run.outcomes()[("KC005", "shared")] == "failed", run.output()
    message = run.message("KC005", "shared")
    assert "realm vantiq has no Frontend URL: the Vantiq IDE login loops with an error" in message
    assert f"Frontend URL = https://{DOMAIN}/auth/" in message


def test_a_frontend_url_on_another_domain_fails(pytester: pytest.Pytester, httpserver: HTTPServer) -> None:
    _keycloak(httpserver, {"frontendUrl": "https://old.example.com/auth/"})
    run = _run(pytester, f"http://127.0.0.1:{httpserver.port}/auth")
    assert run.outcomes()[("KC005", "shared")] == "failed", run.output()
    assert f"does not name the Ingress domain ({DOMAIN})" in run.message("KC005", "shared")


def test_a_refused_admin_login_names_the_secret(pytester: pytest.Pytester, httpserver: HTTPServer) -> None:
    _keycloak(httpserver, {"frontendUrl": f"https://{DOMAIN}/auth/"})
    sc = baseline()
    sc.find("Secret", "shared", "keycloak")["data"]["password"] = b64("Wr0ng-admin-canary")
    run = _run(pytester, f"http://127.0.0.1:{httpserver.port}/auth", sc)
    assert run.outcomes()[("KC005", "shared")] == "failed", run.output()
    message = run.message("KC005", "shared")
    assert (
        "Keycloak refuses the admin login (auth-failed); KEYCLOAK_PASSWORD comes from Secret keycloak, key password"
        in message
    )
    assert "Wr0ng-admin-canary" not in run.output()
    for path in [p for p in pytester.path.rglob("*") if p.is_file()]:
        assert b"Wr0ng-admin-canary" not in path.read_bytes(), path


def test_the_admin_api_through_a_port_forward(
    pytester: pytest.Pytester, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    _keycloak(httpserver, {})
    sc = baseline()
    fake = ForwardingCluster(
        sc.objects, {("shared", "keycloak-0"): ("127.0.0.1", httpserver.port)}, logs=sc.logs
    )
    with fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        run = run_suite(pytester, "--kubeconfig", str(kubeconfig), "--namespace=prod", "-k", "frontend")
    assert run.outcomes()[("KC005", "shared")] == "failed", run.output()
    assert "realm vantiq has no Frontend URL" in run.message("KC005", "shared")
    assert "port-forward to the service's pod" in run.message("KC005", "shared")
    assert fake.streams_closed == fake.streams_opened > 0
