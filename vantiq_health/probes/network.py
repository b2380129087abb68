"""The cluster network for the hub: what to try (a plan from the cluster view) and from where.

Vantages, in order: the suite runs in a pod (in-cluster: the plan runs here),
or `--allow-probe-pods` (the plan runs in one probe pod), or none (the checks
that need the pod network skip naming the flag). DNS alone may also be given
as `--endpoint dns=HOST:PORT`; DNS is UDP, which port-forward cannot carry, so
it is never port-forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vantiq_health.analysis.pod_network import Target, node_targets, vantiq_targets
from vantiq_health.i18n import msg, reason_of
from vantiq_health.partial import gather
from vantiq_health.probes import endpoints as ep
from vantiq_health.probes.dns import headless_qname
from vantiq_health.probes.netrun import NetRun, Plan
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

if TYPE_CHECKING:
    from vantiq_health.probes.hub import Probes

FLAG = "--allow-probe-pods --probe-image IMAGE"
RECORD = "probe/network"  # the pod-network run, remembered for --save-snapshot


@dataclass(frozen=True)
class Network:
    """A run over the pod network with what it tried."""

    run: NetRun
    targets: dict[str, Target] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the plan could not include, and why


def plan(hub: Probes) -> tuple[Plan, dict[str, Target], list[str]]:
    """Every DNS query and TCP connect the network checks need, from the objects the view holds."""
    run, config = hub.run, hub.run.config
    notes: list[str] = []
    namespaces = [ns for ns in run.namespaces if ns not in run.absent]
    dns = {ns: headless_qname(config.name(ns, "mongodb_service"), ns) for ns in namespaces}
    pods = [gather(run.view, ns, "pods") for ns in run.all_namespaces if ns not in run.absent]
    notes += [why for seen in pods for why in seen.reasons()]
    try:
        nodes = run.view.objects("nodes")
    except Unavailable as exc:
        nodes = []
        notes.append(msg("NET005.nodes_not_listed", why=reason_of(exc)))
    targets, why = node_targets(nodes, [p for seen in pods for p in seen["pods"]])
    notes += why
    for ns in namespaces:
        seen = gather(run.view, ns, "endpoints")
        notes += seen.reasons()
        svc = config.name(ns, "vantiq")
        targets += vantiq_targets(
            ns, next((e for e in seen["endpoints"] if e["metadata"].get("name") == svc), None)
        )
    by_key = {t.key: t for t in targets}
    return Plan(dns, {k: (t.host, t.port) for k, t in by_key.items()}, hub.timeout), by_key, notes


def _in_cluster(the_plan: Plan) -> tuple[dict[str, Any], str]:
    from vantiq_health.probes.netrun import execute

    return execute(the_plan, ep.POD_NETWORK), ep.POD_NETWORK


def _probe_pod(hub: Probes, the_plan: Plan, node: str | None) -> tuple[dict[str, Any], str]:
    from vantiq_health.probes.probe_pods import ProbePods, result_of

    api = getattr(hub.run.view, "api", None)
    if api is None or not hub.run.namespaces:
        raise Unavailable(msg("NET005.probe_pods_need_live"))
    image = hub.pod_options.image or ""
    pods = ProbePods(api, hub.run.namespaces[0], image, hub.timeout)
    hub.on_close(pods.close)
    name, log = pods.run([the_plan.to_json()], node)
    doc = result_of(name, log)
    pod = f"{hub.run.namespaces[0]}/{name}"
    return doc, msg("NET005.probe_pod_vantage", pod=pod, node=doc.get("node") or node or "?")


def _recalled(hub: Probes) -> NetRun:
    """Offline: the pod-network run a live run saved with --save-snapshot."""
    from vantiq_health.probes.netrun import parse, text_of

    saved = hub.run.view.recall(RECORD)
    if saved is None:
        raise Unavailable(msg("NET005.snapshot_no_record"))
    try:
        return parse(saved["doc"], text_of(saved.get("vantage_msg"), saved["vantage"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise Unavailable(msg("NET005.snapshot_bad_record")) from None


def first_ready_node(hub: Probes) -> str | None:
    try:
        nodes = hub.run.view.objects("nodes")
    except Unavailable:
        return None
    ready = [
        n["metadata"]["name"]
        for n in nodes
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (n.get("status") or {}).get("conditions") or []
        )
    ]
    return min(ready) if ready else None


def network(hub: Probes) -> Network:
    """The one run over the pod network of this session (in-cluster, or a probe pod; offline, its record)."""
    from vantiq_health.probes.netrun import parse, text_doc

    hub.require_live()
    the_plan, targets, notes = plan(hub)
    if hub.offline:
        return Network(_recalled(hub), targets, notes)
    if ep.in_cluster():
        doc, vantage = _in_cluster(the_plan)
    elif hub.pod_options.allowed:
        doc, vantage = _probe_pod(hub, the_plan, first_ready_node(hub))
    else:
        raise Unavailable(msg("NET005.needs_network", flag=FLAG))
    hub.run.view.remember(RECORD, {"vantage": vantage, "vantage_msg": text_doc(vantage), "doc": doc})
    return Network(parse(doc, vantage), targets, notes)


def dns(hub: Probes, namespace: str) -> ProbeResult:
    """NET001 live: the headless-service query to `--endpoint dns=`, else from the pod network."""
    from vantiq_health.probes import dns as dns_probe

    qname = headless_qname(hub.run.config.name(namespace, "mongodb_service"), namespace)
    explicit = hub.endpoints.find("dns", namespace)
    if explicit is not None:
        return dns_probe.probe(qname, explicit.host, explicit.port, hub.timeout, ep.EXPLICIT)
    if not ep.in_cluster() and not hub.pod_options.allowed:
        raise Unavailable(msg("NET001.dns_not_forwarded", flag=FLAG))
    found = hub.network().run.dns.get(namespace)
    if found is None:
        raise Unavailable(msg("NET001.not_queried", namespace=namespace))
    return found


def domain_sources(hub: Probes) -> tuple[dict[str, str | None], list[str]]:
    """NET002: the cluster domain per source — each node's kubelet configz, the pod network's resolv.conf."""
    from vantiq_health.analysis.cluster_dns import configz_domains, search_domain

    view, sources, why = hub.run.view, {}, []
    try:
        nodes = sorted(n["metadata"]["name"] for n in view.objects("nodes"))
    except Unavailable as exc:
        nodes = []
        why.append(msg("NET002.configz_no_nodes", why=reason_of(exc)))
    for node in nodes:
        try:
            doc = view.node_proxy(node, "configz")
        except Unavailable as exc:
            why.append(msg("NET002.configz_unread", why=reason_of(exc)))
            break  # the same permission (or capture) is missing for the other nodes
        sources[msg("NET002.source_configz", node=node)] = configz_domains({node: doc})[node]
    try:
        net = hub.network()
    except Unavailable as exc:
        why.append(msg("NET002.resolv_unread", why=reason_of(exc)))
    else:
        if net.run.search is None:
            why.append(msg("NET002.resolv_not_readable", vantage=net.run.vantage))
        else:
            sources[msg("NET002.source_resolv", vantage=net.run.vantage)] = search_domain(net.run.search)
    return sources, why
