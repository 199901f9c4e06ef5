"""Every object in a namespace the program creates comes after that Namespace.

On create the Namespace must exist before anything is written into it, and on destroy it must
go last (deleting a namespace deletes what is in it, behind Pulumi's back). The engine orders
by the registered edges (``dependencies`` and ``propertyDependencies``, the latter from
Outputs), following them transitively: a Secret behind istiod behind a Helm release behind the
Namespace is ordered. The recording keeps each request's edges as sent (a dependency on a
component already expanded to its children by the SDK), not their closure, so the closure is
taken here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import local_overrides, run_stack

from mesh_https.testing import Recording, dependency_closure


def unordered_objects(recording: Recording) -> list[str]:
    """Each namespaced object whose Namespace the same graph creates but that does not come
    after it (directly or through recorded edges), as ``"<kind> <ns>/<name> (<resource>)"``."""
    created = {
        r.object_name: r.urn
        for r in recording
        if r.custom and r.kind == "Namespace" and r.object_name is not None
    }
    closure = dependency_closure(recording)

    missing = []
    for r in recording:
        if not r.custom or r.kind == "Namespace" or r.namespace not in created:
            continue
        if created[r.namespace] not in closure[r.urn]:
            missing.append(f"{r.kind or r.type} {r.namespace}/{r.object_name} ({r.name})")
    return missing


@pytest.mark.parametrize("stack", ["dev", "gateway-api", "ambient"])
def test_every_object_comes_after_the_namespace_it_is_in(stack: str, tmp_path: Path) -> None:
    recording, _ = run_stack(stack, **local_overrides(stack, tmp_path))
    namespaced = [
        r
        for r in recording
        if r.custom
        and r.namespace in {n.object_name for n in recording.find(kind="Namespace")}
        and r.kind != "Namespace"
    ]
    # The walk has something to check: the gateway namespace's Secrets and Gateway at least.
    assert any(r.kind == "Secret" for r in namespaced)
    assert any(r.kind == "Gateway" for r in namespaced)
    assert unordered_objects(recording) == []
    # And nothing lands in a namespace that neither the graph nor the cluster itself makes.
    created = {n.object_name for n in recording.find(kind="Namespace")}
    assert {r.namespace for r in recording if r.custom and r.namespace} <= created | {"kube-system"}


def test_ready_hands_on_the_namespaces_istiod_is_not_already_behind() -> None:
    from mesh_https import IstioInstall
    from mesh_https.testing import MockSession

    with MockSession() as session:
        istio = IstioInstall("istio", {"mode": "ambient", "ambient_namespace": "istio-dataplane"})
        session.settle()
    namespaces = istio.namespaces
    assert set(namespaces) == {"istio-system", "istio-ingress", "istio-dataplane"}
    assert namespaces["istio-ingress"] in istio.ready
    assert namespaces["istio-dataplane"] in istio.ready
    # istiod comes after the system namespace already (through base): no second edge to it.
    assert namespaces["istio-system"] not in istio.ready


def test_the_gateway_api_install_creates_the_gateway_namespace() -> None:
    from mesh_https import IstioInstall
    from mesh_https.testing import MockSession

    with MockSession() as session:
        istio = IstioInstall("istio", {"api": "gateway-api", "gateway_namespace": "edge"})
        session.settle()
    assert "edge" in istio.namespaces and istio.namespaces["edge"] in istio.ready
