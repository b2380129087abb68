"""Broken variants of the baseline for InfluxDB's volume (MT004) and telegraf's targets (MT006).

The log lines are the operations notes' own (telegraf 1.x), with this cluster's addresses.
MT003/MT008 need a live InfluxDB: tests/test_probes_influxdb.py runs them against a real one.
"""

from __future__ import annotations

from tests.scenarios.installation import NODES, Scenario, stats_summary
from tests.scenarios.variants import Variant

CLAIM = "influxdb-data-influxdb-0"
DISK_FULL = (
    "2023-03-06T01:29:53Z E! [outputs.influxdb] When writing to [http://influxdb:8086]: 500 Internal Server Error: "
    "engine: error writing WAL entry: write /var/lib/influxdb/wal/kubernetes/autogen/126/_00005.wal: "
    "no space left on device\n"
    "2023-03-06T01:29:53Z E! [agent] Error writing to outputs.influxdb: could not write any address\n"
)
SLOW = (
    "2022-07-13T02:34:30Z W! [inputs.kubernetes] Collection took longer than expected; "
    "not complete after interval of 30s\n"
)


def _timeout(address: str) -> str:
    url = f"http://{address}/metrics"
    return (
        f"2022-07-13T05:38:03Z E! [inputs.prometheus] Error in plugin: error making HTTP request to {url}: "
        f'Get "{url}": dial tcp {address}: i/o timeout (Client.Timeout exceeded while awaiting headers)\n'
    )


def _pod_named(sc: Scenario, ns: str, prefix: str) -> str:
    return next(
        o["metadata"]["name"]
        for o in sc.objects
        if o["kind"] == "Pod"
        and o["metadata"].get("namespace") == ns
        and o["metadata"]["name"].startswith(prefix)
    )


def _volume_free(sc: Scenario, free_gib: float) -> None:
    volume = ("shared", "influxdb-0", CLAIM, 50 << 30, int(free_gib * (1 << 30)))
    sc.node_docs[(NODES[0][0], "stats/summary")] = stats_summary(NODES[0][0], [volume])


def _mt004_full(sc: Scenario) -> None:
    """The InfluxDB volume ran full: telegraf-ds's writes fail with no space left on device."""
    _volume_free(sc, 1.0)
    pod = _pod_named(sc, "shared", "telegraf-ds-")
    sc.logs[("shared", pod, "telegraf")] += DISK_FULL * 2


def _mt004_low(sc: Scenario) -> None:
    """Four GiB left of fifty: writes still succeed, not for long."""
    _volume_free(sc, 4.0)


def _mt004_logs_only(sc: Scenario) -> None:
    """No `get nodes/proxy` (the read-only role): the disk-full lines alone tell, the usage is unseen."""
    sc.node_docs.clear()
    sc.forbidden = [("get", "nodes/proxy", "*")]
    pod = _pod_named(sc, "shared", "telegraf-ds-")
    sc.logs[("shared", pod, "telegraf")] += DISK_FULL


def _mt006_kubelet(sc: Scenario) -> None:
    """telegraf-ds on aks-nodepool1-1 cannot reach its node's kubelet (an NSG closes 10250)."""
    pod = next(
        o
        for o in sc.objects
        if o["kind"] == "Pod"
        and o["metadata"]["name"].startswith("telegraf-ds-")
        and o["spec"]["nodeName"] == NODES[1][0]
    )
    sc.logs[("shared", pod["metadata"]["name"], "telegraf")] += SLOW * 3


def _mt006_prom(sc: Scenario) -> None:
    """telegraf-prom times out on MongoDB's exporter and on the ingress controller's metrics port."""
    mongo_ip = sc.find("Pod", "prod", "mongodb-1")["status"]["podIP"]
    ingress = _pod_named(sc, "shared", "ingress-nginx-controller-")
    ingress_pod = sc.find("Pod", "shared", ingress)
    ingress_ip = ingress_pod["status"]["podIP"] = "10.244.1.60"  # the builder numbers it like telegraf-prom
    prom = _pod_named(sc, "shared", "telegraf-prom-")
    sc.logs[("shared", prom, "telegraf")] += _timeout(f"{mongo_ip}:9216") * 2 + _timeout(
        f"{ingress_ip}:10254"
    )


def _ingress_pod() -> str:
    from tests.scenarios.installation import baseline

    return _pod_named(baseline(), "shared", "ingress-nginx-controller-")


VARIANTS = [
    Variant(
        "mt004-volume-full",
        _mt004_full,
        {
            ("MT004", "shared"): (
                f"(claim {CLAIM}) is full: 2.0% free (below 5%)",
                "no space left on device",
                f'kubectl patch pvc {CLAIM} -n shared -p \'{{"spec":{{"resources":{{"requests":{{"storage":"100Gi"}}}}}}}}\'',
                "kubectl get pv pvc-",
                "InfluxDB PV拡張手順",
            )
        },
    ),
    Variant(
        "mt004-volume-low",
        _mt004_low,
        warns={
            ("MT004", "shared"): (
                f"(claim {CLAIM}) is nearly full: 8.0% free (below 10%)",
                "kubectl patch pvc",
            )
        },
    ),
    Variant(
        "mt004-logs-only",
        _mt004_logs_only,
        {
            ("MT004", "shared"): (
                "telegraf cannot write to InfluxDB: its volume is full",
                "engine: error writing WAL entry",
                f"kubectl patch pvc {CLAIM} -n shared",
                "volume usage of node aks-nodepool1-0",
            )
        },
    ),
    Variant(
        "mt006-kubelet",
        _mt006_kubelet,
        {
            ("MT006", "shared"): (
                f"telegraf cannot collect from the kubelet of node {NODES[1][0]} at {NODES[1][1]}:10250: 3 timeout line(s)",
                "Collection took longer than expected",
                f"open TCP 10250 from the pod network to node {NODES[1][0]}",
            )
        },
    ),
    Variant(
        "mt006-prom-targets",
        _mt006_prom,
        {
            ("MT006", "shared"): (
                "telegraf cannot collect from MongoDB pod prod/mongodb-1 at ",
                ":9216: 2 timeout line(s)",
                f"ingress-nginx controller pod shared/{_ingress_pod()} (its metrics port)",
                "Client.Timeout exceeded while awaiting headers",
                "kubectl get networkpolicy -n prod",
            )
        },
    ),
]
