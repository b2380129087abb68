"""MT003/MT008: what InfluxDB holds, read by the live probe; MT004: how full its volume is.

Pure functions over the probe's record (`ProbeResult.data`, see probes/influxdb.py) and
the kubelet's stats summary (`/api/v1/nodes/NODE/proxy/stats/summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.probes import result as r
from vantiq_health.probes.influx_target import CONTAINERD, DOCKER, NGINX, ORG_METRICS, InfluxProbe
from vantiq_health.probes.influxdb import Series
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

# container runtime (node.status.nodeInfo.containerRuntimeVersion) -> telegraf's container measurement
RUNTIME_SERIES = {"containerd": CONTAINERD, "cri-o": CONTAINERD, "docker": DOCKER}


@dataclass(frozen=True)
class Expected:
    series: Series
    writer: str  # the telegraf workload that writes it, e.g. "deployment/telegraf-prom"
    why: str  # what is missing without it


# -- the login ------------------------------------------------------------------------------------
def _login_diagnosis(probe: InfluxProbe, res: ProbeResult, ns: str) -> tuple[str, list[str]]:
    where = res.target
    secret_fix = [
        f"kubectl get secret -n {ns} {probe.secret} -o jsonpath='{{.data.{probe.password_key}}}' | base64 -d | wc -c"
        "   # its length; compare the value with InfluxDB's user privately",
    ]
    table: dict[str, tuple[str, list[str]]] = {
        r.AUTH_FAILED: (
            f"InfluxDB refuses the login of user {probe.user} from {probe.source}",
            secret_fix,
        ),
        r.NOT_AUTHORIZED: (
            f"user {probe.user} may log in but not read the databases",
            [f"kubectl exec -n {ns} influxdb-0 -- influx -execute 'SHOW GRANTS FOR \"{probe.user}\"'"],
        ),
        r.DNS: (f"the InfluxDB host {where.rpartition(':')[0]} does not resolve", []),
        r.TIMEOUT: (f"TCP connect to InfluxDB at {where} times out", []),
        r.REFUSED: (f"nothing accepts connections at {where}: is InfluxDB running?", []),
        r.UNREACHABLE: (f"no route to InfluxDB at {where}", []),
    }
    return table.get(res.error_class, (f"the InfluxDB probe failed at {res.failed_at}", []))


def login_findings(probe: InfluxProbe, ns: str, influxdb: str) -> list[Finding]:
    """MT003: without a login nothing is known about the metrics: which step fails and why."""
    res = probe.result
    if res.ok:
        return []
    diagnosis, fix = _login_diagnosis(probe, res, ns)
    fix = [*fix, f"kubectl get pods -n {ns} -l app={influxdb} -o wide"]
    evidence = [res.describe(), f"server said: {res.error}", f"login: user {probe.user} from {probe.source}"]
    return [finding("MT003", f"cannot read InfluxDB: {diagnosis}", evidence, fix)]


def require_login(res: ProbeResult) -> None:
    """MT008 reads through MT003's login: without it there is nothing to judge."""
    if not res.ok:
        raise Unavailable(f"no session on InfluxDB {res.target}: {res.error_class} ({res.error}) — see MT003")


# -- MT003: cluster metrics --------------------------------------------------------------------------
def expected_series(by_runtime: dict[str, list[str]], telegraf_ds: str, telegraf_prom: str) -> list[Expected]:
    """The ingress requests, and the container measurement of each runtime the nodes run."""
    wanted = [
        Expected(
            NGINX, f"deployment/{telegraf_prom}", "Request rate and Request duration of Vantiq Resources"
        )
    ]
    for runtime, series in sorted(RUNTIME_SERIES.items()):
        nodes = by_runtime.get(runtime, [])
        if nodes and all(e.series != series for e in wanted):
            why = f"container CPU and memory panels ({runtime} on {', '.join(sorted(nodes))})"
            wanted.append(Expected(series, f"daemonset/{telegraf_ds}", why))
    return wanted


def _present(data: dict[str, Any], s: Series) -> bool:
    names = data.get("measurements", {}).get(s.database, [])
    if s == DOCKER:  # telegraf's inputs.docker writes docker_container_cpu, _mem, _blkio, _status ...
        return any(str(n).startswith("docker_container_") for n in names)
    return s.measurement in names


def _stale(data: dict[str, Any], e: Expected, ns: str, window: int) -> Finding | None:
    read = data.get("series", {}).get(e.series.key)
    if read is None or read.get("count", 0) > 0:
        return None
    last = read.get("last") or "never"
    return finding(
        "MT003",
        f"{e.series.measurement} in database {e.series.database} has no point in the last {window} min "
        f"(last point: {last}): {e.writer} stopped writing it, so the {e.why} show nothing since",
        [f'SELECT count(*) FROM "{e.series.measurement}" WHERE time > now() - {window}m: 0'],
        [f"kubectl logs -n {ns} {e.writer} --tail=200"],
        advice=[
            "the telegraf log names the cause: a full volume (MT004), RBAC (MT005), an unreachable target (MT006)"
        ],
    )


def _missing(data: dict[str, Any], e: Expected, ns: str) -> Finding:
    db = e.series.database
    if db not in data.get("databases", []):
        what = f"database {db} does not exist in InfluxDB"
    else:
        shown = "docker_container_*" if e.series == DOCKER else e.series.measurement
        what = f"measurement {shown} does not exist in database {db}"
    return finding(
        "MT003",
        f"{what}: {e.writer} has never written it, so the {e.why} are empty",
        [f"SHOW MEASUREMENTS ON {db}: {', '.join(data.get('measurements', {}).get(db, [])) or 'none'}"],
        [f"kubectl logs -n {ns} {e.writer} --tail=200", f"kubectl get {e.writer} -n {ns} -o yaml"],
        advice=["check the telegraf inputs configuration and its log (MT004-MT006)"],
    )


def metrics_findings(
    res: ProbeResult, wanted: list[Expected], ns: str, window: int
) -> tuple[list[Finding], list[str]]:
    """MT003: each expected measurement exists (else: never written) and has points in the window (else: stale)."""
    data, found, facts = res.data, [], []
    for e in wanted:
        if not _present(data, e.series):
            found.append(_missing(data, e, ns))
            continue
        stale = _stale(data, e, ns, window)
        if stale is not None:
            found.append(stale)
            continue
        read = data.get("series", {}).get(e.series.key) or {}
        facts.append(
            f"{e.series.key}: {read.get('count', '?')} point field(s) in {window} min, last {read.get('last')}"
        )
    return found, [f"read {res.target} from {res.vantage}: {' → '.join(res.reached)}", *facts]


# -- MT008: organization metrics -------------------------------------------------------------------
def org_metrics_findings(
    res: ProbeResult, window: int, collectors: list[tuple[str, str]]
) -> tuple[list[Finding], list[str]]:
    """MT008: resources_requests_percentile has collaborationtypes points in the window, else restart metrics-collector."""
    s = ORG_METRICS
    read = res.data.get("series", {}).get(s.key)
    if read is not None and read.get("count", 0) > 0:
        return [], [f"{s.key}: {read['count']} point field(s) in {window} min, last {read.get('last')}"]
    if s.database not in res.data.get("databases", []):
        seen = f"database {s.database} does not exist"
    elif not _present(res.data, s):
        seen = f"measurement {s.measurement} does not exist in database {s.database}"
    else:
        seen = f"last point with resource = 'collaborationtypes': {(read or {}).get('last') or 'never'}"
    fix = [f"kubectl rollout restart deployment/{d} -n {n}" for n, d in collectors]
    return [
        finding(
            "MT008",
            f"no organization metrics in the last {window} min: {s.measurement} has no point with "
            "resource = 'collaborationtypes', metrics-collector is not sending them (Execution Time shows No data)",
            [seen],
            fix or ["kubectl get deployments -A | grep metrics-collector"],
            severity="warning",
            advice=["after the restart, the Grafana panels fill within a few minutes"],
        )
    ], []


# -- MT004: the InfluxDB volume's free space ---------------------------------------------------------
@dataclass(frozen=True)
class VolumeUsage:
    node: str
    pod: str
    claim: str
    capacity: int
    available: int

    @property
    def free_percent(self) -> float:
        return 100.0 * self.available / self.capacity if self.capacity else 100.0

    def describe(self) -> str:
        gib = 1 << 30
        return (
            f"claim {self.claim} (pod {self.pod} on {self.node}): {self.available / gib:.1f} GiB free of "
            f"{self.capacity / gib:.1f} GiB ({self.free_percent:.1f}%)"
        )


def influx_claims(pods: list[Obj], influxdb: str) -> dict[str, tuple[str, str]]:
    """The InfluxDB pods' claims: claim -> (pod, node)."""
    found = {}
    for pod in pods:
        if not name(pod).startswith(f"{influxdb}-"):
            continue
        node = str((pod.get("spec") or {}).get("nodeName") or "")
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                found[str(claim)] = (name(pod), node)
    return found


def volume_usage(summary: Obj, ns: str, claims: set[str]) -> list[VolumeUsage]:
    """The claims' usage in one node's stats summary (`pods[].volume[]` with `pvcRef`)."""
    node = str((summary.get("node") or {}).get("nodeName", ""))
    found = []
    for pod in summary.get("pods") or []:
        for vol in pod.get("volume") or []:
            ref = vol.get("pvcRef") or {}
            if ref.get("namespace") == ns and ref.get("name") in claims and vol.get("capacityBytes"):
                pod_name = str((pod.get("podRef") or {}).get("name", ""))
                found.append(
                    VolumeUsage(
                        node,
                        pod_name,
                        str(ref["name"]),
                        int(vol["capacityBytes"]),
                        int(vol.get("availableBytes", 0)),
                    )
                )
    return found


@dataclass(frozen=True)
class Claim:
    """An InfluxDB claim as the remedy names it."""

    name: str
    volume: str  # the bound PersistentVolume
    size: str  # spec.resources.requests.storage


def claim_info(pvcs: list[Obj], claims: set[str]) -> dict[str, Claim]:
    found = {}
    for pvc in pvcs:
        if name(pvc) in claims:
            spec = pvc.get("spec") or {}
            size = str(((spec.get("resources") or {}).get("requests") or {}).get("storage", ""))
            found[name(pvc)] = Claim(name(pvc), str(spec.get("volumeName") or "?"), size)
    return found


def _bigger(size: str) -> str:
    number = size.rstrip("GiMTK")
    unit = size[len(number) :]
    return f"{int(number) * 2}{unit}" if number.isdigit() and unit else "NEW_SIZE"


def _expand(claim: Claim, ns: str) -> list[str]:
    patch = '{"spec":{"resources":{"requests":{"storage":"' + _bigger(claim.size) + '"}}}}'
    return [
        f"kubectl get pv {claim.volume} -o wide   # the InfluxDB volume, {claim.size or 'size unknown'} today",
        f"kubectl patch pvc {claim.name} -n {ns} -p '{patch}'",
    ]


EXPAND_ADVICE = (
    "expand the InfluxDB PersistentVolume (the StorageClass needs allowVolumeExpansion: true; "
    "procedure: InfluxDB PV拡張手順), or shorten the retention policy of the kubernetes database",
)


def space_findings(
    usages: list[VolumeUsage],
    full_lines: list[str],
    claims: dict[str, Claim],
    ns: str,
    warn: float,
    crit: float,
) -> list[Finding]:
    """MT004: critical below `crit`% free or on the disk-full lines, warning below `warn`%."""
    found = []
    for u in (u for u in usages if u.free_percent < warn):
        claim = claims.get(u.claim, Claim(u.claim, "?", ""))
        critical = u.free_percent < crit or bool(full_lines)
        found.append(
            finding(
                "MT004",
                f"the InfluxDB volume {claim.volume} (claim {u.claim}) is {'full' if critical else 'nearly full'}: "
                f"{u.free_percent:.1f}% free (below {crit if u.free_percent < crit else warn:g}%); "
                "metric writes stop when it fills",
                [u.describe(), *full_lines[-3:]],
                _expand(claim, ns),
                severity="critical" if critical else "warning",
                object=ObjectRef("PersistentVolumeClaim", ns, u.claim),
                advice=EXPAND_ADVICE,
            )
        )
    if full_lines and not found:
        fix = [cmd for c in sorted(claims.values(), key=lambda c: c.name) for cmd in _expand(c, ns)]
        found.append(
            finding(
                "MT004",
                "telegraf cannot write to InfluxDB: its volume is full (no space left on device)",
                [
                    *full_lines[-3:],
                    *(u.describe() for u in usages),
                    f"InfluxDB claims: {', '.join(sorted(claims)) or 'none found'}",
                ],
                fix,
                severity="critical",
                advice=EXPAND_ADVICE,
            )
        )
    return found
