"""MT003/MT008: what InfluxDB holds, read by the live probe; MT004: how full its volume is.

Pure functions over the probe's record (`ProbeResult.data`, see probes/influxdb.py) and
the kubelet's stats summary (`/api/v1/nodes/NODE/proxy/stats/summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.i18n import msg
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
            msg("MT003.auth_failed", user=probe.user, source=probe.source),
            secret_fix,
        ),
        r.NOT_AUTHORIZED: (
            msg("MT003.not_authorized", user=probe.user),
            [f"kubectl exec -n {ns} influxdb-0 -- influx -execute 'SHOW GRANTS FOR \"{probe.user}\"'"],
        ),
        r.DNS: (msg("MT003.dns", host=where.rpartition(":")[0]), []),
        r.TIMEOUT: (msg("MT003.timeout", target=where), []),
        r.REFUSED: (msg("MT003.refused", target=where), []),
        r.UNREACHABLE: (msg("MT003.unreachable", target=where), []),
    }
    return table.get(res.error_class, (msg("MT003.failed_at", step=res.failed_at), []))


def login_findings(probe: InfluxProbe, ns: str, influxdb: str) -> list[Finding]:
    """MT003: without a login nothing is known about the metrics: which step fails and why."""
    res = probe.result
    if res.ok:
        return []
    diagnosis, fix = _login_diagnosis(probe, res, ns)
    fix = [*fix, f"kubectl get pods -n {ns} -l app={influxdb} -o wide"]
    evidence = [
        res.describe(),
        msg("MT003.server_said", error=res.error),
        msg("MT003.login", user=probe.user, source=probe.source),
    ]
    return [finding("MT003", msg("MT003.cannot_read", diagnosis=diagnosis), evidence, fix)]


def require_login(res: ProbeResult) -> None:
    """MT008 reads through MT003's login: without it there is nothing to judge."""
    if not res.ok:
        raise Unavailable(
            msg("MT008.no_session", target=res.target, error_class=res.error_class, error=res.error)
        )


# -- MT003: cluster metrics --------------------------------------------------------------------------
def expected_series(by_runtime: dict[str, list[str]], telegraf_ds: str, telegraf_prom: str) -> list[Expected]:
    """The ingress requests, and the container measurement of each runtime the nodes run."""
    wanted = [Expected(NGINX, f"deployment/{telegraf_prom}", msg("MT003.why_requests"))]
    for runtime, series in sorted(RUNTIME_SERIES.items()):
        nodes = by_runtime.get(runtime, [])
        if nodes and all(e.series != series for e in wanted):
            why = msg("MT003.why_containers", runtime=runtime, nodes=sorted(nodes))
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
    last = read.get("last") or msg("MT003.never")
    return finding(
        "MT003",
        msg(
            "MT003.stale",
            measurement=e.series.measurement,
            database=e.series.database,
            window=window,
            last=last,
            writer=e.writer,
            why=e.why,
        ),
        [f'SELECT count(*) FROM "{e.series.measurement}" WHERE time > now() - {window}m: 0'],
        [f"kubectl logs -n {ns} {e.writer} --tail=200"],
        advice=[msg("MT003.stale_advice")],
    )


def _missing(data: dict[str, Any], e: Expected, ns: str) -> Finding:
    db = e.series.database
    if db not in data.get("databases", []):
        what = msg("MT003.no_database", database=db)
    else:
        shown = "docker_container_*" if e.series == DOCKER else e.series.measurement
        what = msg("MT003.no_measurement", measurement=shown, database=db)
    names = list(data.get("measurements", {}).get(db, []))
    return finding(
        "MT003",
        msg("MT003.never_written", what=what, writer=e.writer, why=e.why),
        [msg("MT003.show_measurements", database=db, names=names or msg("MT003.none"))],
        [f"kubectl logs -n {ns} {e.writer} --tail=200", f"kubectl get {e.writer} -n {ns} -o yaml"],
        advice=[msg("MT003.missing_advice")],
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
            msg(
                "MT003.points",
                key=e.series.key,
                count=read.get("count", "?"),
                window=window,
                last=read.get("last"),
            )
        )
    steps = " → ".join(res.reached)
    return found, [msg("MT003.read_from", target=res.target, vantage=res.vantage, steps=steps), *facts]


# -- MT008: organization metrics -------------------------------------------------------------------
def org_metrics_findings(
    res: ProbeResult, window: int, collectors: list[tuple[str, str]]
) -> tuple[list[Finding], list[str]]:
    """MT008: resources_requests_percentile has collaborationtypes points in the window, else restart metrics-collector."""
    s = ORG_METRICS
    read = res.data.get("series", {}).get(s.key)
    if read is not None and read.get("count", 0) > 0:
        return [], [msg("MT008.points", key=s.key, count=read["count"], window=window, last=read.get("last"))]
    if s.database not in res.data.get("databases", []):
        seen = msg("MT008.no_database", database=s.database)
    elif not _present(res.data, s):
        seen = msg("MT008.no_measurement", measurement=s.measurement, database=s.database)
    else:
        seen = msg("MT008.last_point", last=(read or {}).get("last") or msg("MT008.never"))
    fix = [f"kubectl rollout restart deployment/{d} -n {n}" for n, d in collectors]
    return [
        finding(
            "MT008",
            msg("MT008.no_metrics", window=window, measurement=s.measurement),
            [seen],
            fix or ["kubectl get deployments -A | grep metrics-collector"],
            severity="warning",
            advice=[msg("MT008.restart_advice")],
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
        return msg(
            "MT004.usage",
            claim=self.claim,
            pod=self.pod,
            node=self.node,
            free=f"{self.available / gib:.1f}",
            capacity=f"{self.capacity / gib:.1f}",
            percent=f"{self.free_percent:.1f}",
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


EXPAND_ADVICE = (msg("MT004.expand_advice"),)


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
                msg(
                    "MT004.volume_low",
                    volume=claim.volume,
                    claim=u.claim,
                    state=msg("MT004.full" if critical else "MT004.nearly_full"),
                    percent=f"{u.free_percent:.1f}",
                    limit=f"{crit if u.free_percent < crit else warn:g}",
                ),
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
                msg("MT004.cannot_write"),
                [
                    *full_lines[-3:],
                    *(u.describe() for u in usages),
                    msg("MT004.claims", claims=sorted(claims) or msg("MT004.none_found")),
                ],
                fix,
                severity="critical",
                advice=EXPAND_ADVICE,
            )
        )
    return found
