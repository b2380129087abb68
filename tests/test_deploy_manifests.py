"""deploy/ holds valid Kubernetes objects, a kustomization that applies them, and the README says what they grant.

The official client's models ignore unknown fields silently, so each document is walked
against the models' `attribute_map` and `openapi_types` and an unknown field fails, with
its path. The README's RBAC table is generated from the roles (`rbac_table()`): when a
role changes, the test prints the table to paste.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
import yaml

from tests.test_rbac_derived import DEPLOY, OPTIONAL, READER, ROOT

KUSTOMIZE_KEYS = {"apiVersion", "kind", "namespace", "resources", "configMapGenerator", "images"}
NAMESPACE = "vantiq-health"
_LIST = re.compile(r"[lL]ist\[(.+)\]")
_DICT = re.compile(r"dict\(([^,]+), (.+)\)|Dict\[([^,]+), (.+)\]")


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, doc)
        for path in sorted(DEPLOY.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def _model(doc: dict[str, Any]) -> str:
    version = doc["apiVersion"].rpartition("/")[2]
    return f"{version.capitalize()}{doc['kind']}"


def strict_walk(data: Any, type_name: str, where: str) -> None:
    """Fail on any field the client's model of `type_name` does not know, recursively."""
    if m := _LIST.fullmatch(type_name):
        assert isinstance(data, list), f"{where}: expected a list"
        for i, item in enumerate(data):
            strict_walk(item, m[1], f"{where}[{i}]")
        return
    if m := _DICT.fullmatch(type_name):
        assert isinstance(data, dict), f"{where}: expected a map"
        for key, value in data.items():
            strict_walk(value, m[2] or m[4], f"{where}.{key}")
        return
    if type_name in ("str", "int", "bool", "float", "object", "datetime", "date"):
        return
    cls = getattr(kubernetes.client, type_name)
    assert isinstance(data, dict), f"{where}: expected an object ({type_name})"
    fields = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    for key, value in data.items():
        assert key in fields, f"{where}.{key}: no such field in {type_name}"
        strict_walk(value, cls.openapi_types[fields[key]], f"{where}.{key}")


@pytest.mark.parametrize(
    ("path", "doc"), _documents(), ids=lambda v: v.name if isinstance(v, Path) else v["kind"]
)
def test_each_document_is_a_valid_object_of_the_client(path: Path, doc: dict[str, Any]) -> None:
    model = _model(doc)
    strict_walk(doc, model, f"{path.relative_to(ROOT)}:{doc['kind']}")
    # and the client builds it, checking required fields and enums
    built = kubernetes.client.ApiClient()._ApiClient__deserialize(doc, model)  # type: ignore[attr-defined]
    assert built.metadata.name == doc["metadata"]["name"]


def test_the_strict_walk_fails_on_an_unknown_field() -> None:
    job = next(doc for _, doc in _documents() if doc["kind"] == "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["securityContex"] = container.pop("securityContext")
    with pytest.raises(
        AssertionError, match=r"containers\[0\]\.securityContex: no such field in V1Container"
    ):
        strict_walk(job, "V1Job", "job")


def _kustomization(folder: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert set(doc) <= KUSTOMIZE_KEYS, set(doc) - KUSTOMIZE_KEYS
    assert doc["kind"] == "Kustomization"
    return doc


def test_the_kustomizations_apply_every_manifest_and_nothing_else() -> None:
    listed: set[Path] = set()
    for folder in (DEPLOY, DEPLOY / "optional"):
        kust = _kustomization(folder)
        for name in kust["resources"]:
            assert (folder / name).is_file(), f"{folder}/kustomization.yaml names a missing {name}"
            listed.add(folder / name)
        for gen in kust.get("configMapGenerator", []):
            for name in gen["files"]:
                assert (folder / name).is_file(), name
    files = {p for p, _ in _documents() if p.suffix == ".yaml"}
    assert files == listed, files ^ listed


def test_the_workloads_fit_the_rest_of_deploy() -> None:
    """Same namespace, the ServiceAccount the roles bind, the generated ConfigMap, the image kustomize sets."""
    kust = _kustomization(DEPLOY)
    docs = [doc for _, doc in _documents()]
    config_name = kust["configMapGenerator"][0]["name"]
    image = kust["images"][0]["name"]
    for doc in docs:
        if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding", "Namespace"):
            assert doc["metadata"]["namespace"] == NAMESPACE, doc["metadata"]
        for subject in doc.get("subjects", []):
            assert (subject["kind"], subject["name"], subject["namespace"]) == (
                "ServiceAccount",
                "vantiq-health",
                NAMESPACE,
            )
    pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Job"]
    pods += [d["spec"]["jobTemplate"]["spec"]["template"]["spec"] for d in docs if d["kind"] == "CronJob"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["serviceAccountName"] == "vantiq-health"
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["image"] == image
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "VANTIQ_HEALTH_REPORT_DIR", "value": "/reports"} in container["env"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert set(mounts) == {"/reports", "/tmp", "/config"}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes[mounts["/config"]]["configMap"]["name"] == config_name
        assert "persistentVolumeClaim" in volumes[mounts["/reports"]]


def rbac_table() -> str:
    """The README's RBAC table, from the roles under deploy/."""
    rows = ["| role | kind | API group | resources | verbs |", "|---|---|---|---|---|"]
    roles = [doc for _, doc in _documents() if doc["kind"] in ("Role", "ClusterRole")]
    for doc in sorted(roles, key=lambda d: d["metadata"]["name"] in OPTIONAL):  # the read-only role first
        name = doc["metadata"]["name"]
        label = f"`{name}`" + (" (opt-in)" if name in OPTIONAL else "")
        for rule in doc["rules"]:
            groups = ", ".join(g or "core" for g in rule["apiGroups"])
            resources = ", ".join(rule["resources"])
            rows.append(f"| {label} | {doc['kind']} | {groups} | {resources} | {', '.join(rule['verbs'])} |")
    return "\n".join(rows)


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n### {title}\n")
    end = text.find("\n#", start + 1)
    return text[start:end]


def test_the_readme_rbac_table_is_the_manifests() -> None:
    table = rbac_table()
    assert table in _readme_section("RBAC"), f"paste into the README's RBAC section:\n{table}"


def test_the_readme_read_only_role_is_the_manifest() -> None:
    section = _readme_section("Permissions")
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    reader = next(
        d for _, d in _documents() if d["kind"] == "ClusterRole" and d["metadata"]["name"] == READER
    )
    assert yaml.safe_load(block)["rules"] == reader["rules"]


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_the_ci_examples_gate_on_new_findings_per_context(name: str) -> None:
    """Valid YAML; reports named by context, the previous run as baseline, JUnit published."""
    text = (ROOT / "examples" / "ci" / name).read_text()
    assert yaml.safe_load(text)
    context = "${{ matrix.context }}" if name.startswith("github") else "$CONTEXT"
    assert f'--context "{context}"' in text
    assert f"reports/{context}" in text
    assert "--report-dir" in text
    assert "--baseline baseline/results.json" in text
    assert "junit.xml" in text


def test_the_mounted_config_is_a_valid_config_and_its_waiver_example_too(tmp_path: Path) -> None:
    from vantiq_health.config import load_config

    path = DEPLOY / "vantiq-health.toml"
    assert load_config(path).waivers == []
    example = "\n".join(
        line.removeprefix("# ") for line in path.read_text().splitlines() if line.startswith("# ")
    )
    (tmp_path / "waivers.toml").write_text(example[example.index("[[waivers]]") :])
    (waiver,) = load_config(tmp_path / "waivers.toml").waivers
    assert (waiver.id, waiver.namespace, waiver.object) == ("MG003", "prod", "mongobackup")
