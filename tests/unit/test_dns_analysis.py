"""NET001 predictive: the SRV answer's wire size, built with dnspython, and where it crosses 512 bytes."""

from __future__ import annotations

import dns.message
import pytest

from vantiq_health.analysis.dns import UDP_LIMIT, _response, answer_size, crossing_length, prediction_facts


def test_the_answer_parses_back_with_one_srv_per_endpoint_and_port() -> None:
    msg = _response(
        "mongodb", "prod", "cluster.local", ["mongodb-0", "mongodb-1", "mongodb-2"], [27017, 9216]
    )
    parsed = dns.message.from_wire(msg.to_wire())
    assert len(parsed.answer[0]) == 6
    assert len(parsed.additional) == 3
    assert str(parsed.answer[0].name) == "mongodb.prod.svc.cluster.local."


def test_compression_only_shrinks() -> None:
    size = answer_size("mongodb", "prod", "mongodb", 3, [27017])
    assert size.compressed < size.uncompressed


@pytest.mark.parametrize("replicas", [3, 5])
def test_the_crossing_is_where_the_wire_size_says(replicas: int) -> None:
    service = "vantiq-prod-mongodb"
    at_c, at_u = crossing_length(service, "prod", "mongodb", replicas, [27017])
    for at, pick in ((at_c, 0), (at_u, 1)):
        assert at is not None

        def size(length: int, pick: int = pick) -> int:
            ns = "n" * length
            s = answer_size(service.replace("prod", ns), ns, "mongodb", replicas, [27017])
            return (s.compressed, s.uncompressed)[pick]

        assert size(at) > UDP_LIMIT
        if at > 1:
            assert size(at - 1) <= UDP_LIMIT


def test_longer_namespaces_grow_the_answer() -> None:
    short = answer_size("vantiq-a-mongodb", "a", "mongodb", 3, [27017])
    long = answer_size("vantiq-your-namespace-mongodb", "vantiq-your-namespace", "mongodb", 3, [27017])
    assert long.compressed > short.compressed
    assert long.uncompressed > UDP_LIMIT  # the notes' namespace: truncated unless the server compresses


def test_facts_say_when_tcp_is_needed() -> None:
    facts = prediction_facts("vantiq-your-namespace-mongodb", "vantiq-your-namespace", "mongodb", 3, [27017])
    assert "port 53/TCP" in facts[-1]
    assert "does not compress" in facts[-1]
    assert "port 53/TCP" not in " ".join(prediction_facts("mongodb", "a", "mongodb", 1, [27017]))
