"""MeshNamespace: the enrolment label for each mode, the optional Sidecar, and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from mesh_https import IstioInstall, MeshNamespace, ValidationError
from mesh_https.mesh_namespace import enrolment_labels
from mesh_https.testing import MockSession


@pytest.mark.parametrize(
    ("mode", "revision", "expected"),
    [
        ("sidecar", "", {"istio-injection": "enabled"}),
        ("sidecar", "stable", {"istio.io/rev": "stable"}),
        ("ambient", "", {"istio.io/dataplane-mode": "ambient"}),
    ],
)
def test_enrolment_labels(mode: str, revision: str, expected: dict[str, str]) -> None:
    assert enrolment_labels(mode, revision) == expected


def test_namespace_follows_istio_install_outputs(mesh_session: MockSession) -> None:
    istio = IstioInstall("istio", {"revision": "canary"})
    ns = MeshNamespace(
        "apps",
        {
            "mode": istio.info.mode,
            "revision": istio.info.revision,
            "labels": {"team": "a"},
            "depends_on": [istio],
        },
    )
    rec = mesh_session.settle()
    namespace = rec.one(kind="Namespace", object_name="apps")
    labels = namespace.metadata["labels"]
    assert labels["istio.io/rev"] == "canary" and "istio-injection" not in labels
    assert labels["team"] == "a"
    assert rec.depends_on(namespace, rec.one("mesh-https:index:IstioInstall"))
    assert mesh_session.value(ns.namespace) == "apps"
    assert not rec.kinds("Sidecar")


def test_ambient_namespace(mesh_session: MockSession) -> None:
    istio = IstioInstall("istio", {"mode": "ambient"})
    MeshNamespace("apps", {"mode": istio.info.mode})
    labels = mesh_session.settle().one(kind="Namespace", object_name="apps").metadata["labels"]
    assert labels["istio.io/dataplane-mode"] == "ambient"
    assert "istio-injection" not in labels


def test_scoped_sidecar(mesh_session: MockSession) -> None:
    MeshNamespace(
        "apps",
        {"scope_sidecar": True, "extra_egress_hosts": ["shared/db.shared.svc.cluster.local"]},
    )
    rec = mesh_session.settle()
    sidecar = rec.one(kind="Sidecar")
    assert sidecar.object_name == "default" and sidecar.namespace == "apps"
    assert sidecar.spec == {
        "egress": [{"hosts": ["./*", "istio-system/*", "shared/db.shared.svc.cluster.local"]}]
    }
    assert rec.depends_on(sidecar, rec.one(kind="Namespace"))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"namespace": "Apps"}, "namespace"),
        ({"mode": "proxyless"}, "mode"),
        ({"labels": {"istio-injection": "disabled"}}, "labels.istio-injection"),
        ({"extra_egress_hosts": ["a/b"]}, "extra_egress_hosts"),
        ({"scope_sidecar": True, "extra_egress_hosts": ["nohost"]}, "extra_egress_hosts[0]"),
    ],
)
def test_bad_input(mesh_session: MockSession, args: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        MeshNamespace("apps", args)  # type: ignore[arg-type]
    assert (err.value.component, err.value.field) == ("MeshNamespace", field)
    assert len(mesh_session.settle()) == 0
