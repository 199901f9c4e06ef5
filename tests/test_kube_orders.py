"""The replay orders: latest apply and earliest delete, from the recorded edges alone."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from mesh_https.testing import MockSession, Recording
from mesh_https.testing._kube_mode import (
    earliest_delete_order,
    latest_apply_order,
    manifest_of,
    plain_numbers,
)


def _record() -> Recording:
    """Namespace ``a`` (the Secret and the Service in it depend on it), namespace ``lonely``
    (nothing depends on it), a Helm release between ``a`` and a ConfigMap."""
    with MockSession() as session:
        opts = pulumi.ResourceOptions
        ns_a = k8s.core.v1.Namespace("ns-a", metadata={"name": "a"})
        k8s.core.v1.Namespace("ns-lonely", metadata={"name": "lonely"})
        release = k8s.helm.v3.Release(
            "chart", chart="x", namespace="a", opts=opts(depends_on=[ns_a])
        )
        secret = k8s.core.v1.Secret(
            "secret",
            metadata={"namespace": "a"},
            string_data={"k": "v"},
            opts=opts(depends_on=[ns_a]),
        )
        k8s.core.v1.Service(
            "svc",
            metadata={"name": "svc", "namespace": "a"},
            spec={"ports": [{"port": 443}]},
            opts=opts(depends_on=[secret]),
        )
        k8s.core.v1.ConfigMap(
            "cm", metadata={"name": "cm", "namespace": "a"}, opts=opts(depends_on=[release])
        )
        return session.settle()


def _names(order: list) -> list[str]:
    return [r.name for r in order]


def test_latest_order_applies_each_object_right_before_its_first_dependent() -> None:
    recording = _record()
    order = _names(latest_apply_order(recording))
    # The Helm release stays mocked: it is not applied, but the ConfigMap behind it is still
    # after the Namespace the release depends on.
    assert sorted(order) == ["cm", "ns-a", "ns-lonely", "secret", "svc"]
    assert order[-1] == "ns-lonely"  # nothing depends on it: last
    assert order.index("ns-a") < min(order.index(n) for n in ("cm", "secret", "svc"))
    assert order.index("secret") == order.index("svc") - 1  # right before its dependent
    # ...and the Namespace right before the first of its dependents.
    first_dependent = min(order.index(n) for n in ("cm", "secret", "svc"))
    assert order.index("ns-a") == first_dependent - 1


def test_earliest_delete_order_is_the_latest_apply_order_reversed() -> None:
    recording = _record()
    delete = _names(earliest_delete_order(recording))
    assert delete == list(reversed(_names(latest_apply_order(recording))))
    assert delete[0] == "ns-lonely"
    assert delete.index("svc") < delete.index("secret") < delete.index("ns-a")
    assert delete.index("cm") < delete.index("ns-a")


def test_manifests_get_ints_back_and_a_stable_name() -> None:
    assert plain_numbers({"port": 443.0, "ratio": 0.5, "list": [1.0]}) == {
        "port": 443,
        "ratio": 0.5,
        "list": [1],
    }
    manifest = manifest_of("secret", {"kind": "Secret", "metadata": {"namespace": "a"}})
    assert (
        manifest["metadata"]["name"] == manifest_of("secret", {"metadata": {}})["metadata"]["name"]
    )
    assert manifest["metadata"]["name"].startswith("secret-")


def test_a_namespace_nothing_depends_on_goes_last_whatever_was_registered_first() -> None:
    """Ties among objects nothing depends on go to the Namespace: registration order (which
    the engine's scheduling can change) never decides whether it is applied last."""
    with MockSession() as session:
        k8s.core.v1.ConfigMap("early", metadata={"name": "early", "namespace": "b"})
        k8s.core.v1.Namespace("ns-b", metadata={"name": "b"})
        k8s.core.v1.ConfigMap("late", metadata={"name": "late", "namespace": "b"})
        recording = session.settle()
    order = _names(latest_apply_order(recording))
    assert order[-1] == "ns-b"
    assert _names(earliest_delete_order(recording))[0] == "ns-b"
