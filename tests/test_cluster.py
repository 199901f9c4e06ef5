"""KindCluster and ExistingCluster: the kind config, the commands, the provider, bad input."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
import yaml

from mesh_https import ExistingCluster, KindCluster, ValidationError
from mesh_https.cluster import kind_config
from mesh_https.testing import MockSession


def test_kind_config_maps_host_ports_to_fixed_node_ports() -> None:
    config = yaml.safe_load(
        kind_config({"host_ports": {"http": 8080, "https": 8443}, "node_image": "kindest/node:x"})
    )
    control_plane = config["nodes"][0]
    assert control_plane["role"] == "control-plane"
    assert control_plane["image"] == "kindest/node:x"
    assert control_plane["extraPortMappings"] == [
        {"containerPort": 30080, "hostPort": 8080, "listenAddress": "127.0.0.1", "protocol": "TCP"},
        {"containerPort": 30443, "hostPort": 8443, "listenAddress": "127.0.0.1", "protocol": "TCP"},
    ]


def test_kind_config_is_deterministic_and_has_workers() -> None:
    args = {"workers": 2, "node_image": "img"}
    assert kind_config(args) == kind_config(dict(args))  # type: ignore[arg-type]
    nodes = yaml.safe_load(kind_config(args))["nodes"]  # type: ignore[arg-type]
    assert [n["role"] for n in nodes] == ["control-plane", "worker", "worker"]
    assert all(n["image"] == "img" for n in nodes)


def test_kind_cluster_creates_and_deletes_with_kind(mesh_session: MockSession) -> None:
    cluster = KindCluster("dev", {"cluster_name": "mesh-dev", "wait_seconds": 60})
    rec = mesh_session.settle()
    cmd = rec.one("command:local:Command", name="dev-kind")
    assert cmd.inputs["create"].startswith(
        "kind create cluster --name mesh-dev --config - --wait 60s"
    )
    assert "kind get kubeconfig --name mesh-dev" in cmd.inputs["create"]
    assert cmd.inputs["delete"] == "kind delete cluster --name mesh-dev"
    assert yaml.safe_load(cmd.inputs["stdin"])["kind"] == "Cluster"
    # The config is a trigger, so changing it replaces (delete first: names are unique).
    assert cmd.inputs["stdin"] in cmd.inputs["triggers"]
    assert cmd.options["delete_before_replace"] is True
    assert cmd.options["additional_secret_outputs"] == ["stdout"]
    assert rec.parent_of(cmd) is rec.one("mesh-https:index:KindCluster")

    provider = rec.one("pulumi:providers:kubernetes")
    assert rec.parent_of(provider) is rec.one("mesh-https:index:KindCluster")
    assert provider.is_secret("kubeconfig"), "the kubeconfig carries credentials"
    assert rec.depends_on(provider, cmd)
    kubeconfig = mesh_session.resolve(cluster.kubeconfig)
    assert kubeconfig.secret and "current-context" in kubeconfig.value


def test_kind_cluster_interface() -> None:
    with MockSession():
        cluster = KindCluster("dev", {"host_ports": {"http": 8080, "https": 8443}})
        assert cluster.load_balancer is False
        assert cluster.node_ports == {"http": 30080, "https": 30443}
        assert cluster.local_ingress == {
            "address": "127.0.0.1",
            "ports": {"http": 8080, "https": 8443},
        }
        assert cluster.gateway_service() == {
            "type": "NodePort",
            "node_ports": {"http": 30080, "https": 30443},
        }
        assert isinstance(cluster.provider, pulumi.ProviderResource)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"cluster_name": "Bad_Name"}, "cluster_name"),
        ({"host_ports": {"http": 0, "https": 443}}, "host_ports.http"),
        ({"host_ports": {"http": 80, "https": 70000}}, "host_ports.https"),
        ({"host_ports": {"http": 443, "https": 443}}, "host_ports"),
        ({"node_ports": {"http": 80, "https": 30443}}, "node_ports.http"),
        ({"node_ports": {"http": 30443, "https": 30443}}, "node_ports"),
        ({"node_ports": {"http": 30080}}, "node_ports.https"),
        ({"workers": -1}, "workers"),
        ({"node_image": " "}, "node_image"),
        ({"wait_seconds": 0}, "wait_seconds"),
    ],
)
def test_kind_cluster_rejects_bad_input_before_registering(
    mesh_session: MockSession, args: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        KindCluster("dev", args)  # type: ignore[arg-type]
    assert err.value.component == "KindCluster"
    assert err.value.field == field
    assert f"KindCluster: `{field}`" in str(err.value)
    assert len(mesh_session.settle()) == 0, "nothing may be registered"


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1"}}]
contexts:
- {name: staging, context: {cluster: c, user: u}}
- {name: prod, context: {cluster: c, user: u}}
current-context: staging
users: [{name: u, user: {token: t}}]
"""


def test_existing_cluster_from_path_and_context(mesh_session: MockSession, tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    cluster = ExistingCluster(
        "prod",
        {
            "kubeconfig_path": str(path),
            "context": "prod",
            "gateway_annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
        },
    )
    rec = mesh_session.settle()
    provider = rec.one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == str(path)
    assert provider.inputs["context"] == "prod"
    assert cluster.load_balancer is True
    assert cluster.local_ingress is None
    assert cluster.gateway_service() == {
        "type": "LoadBalancer",
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
    }


def test_existing_cluster_content_is_secret(mesh_session: MockSession) -> None:
    ExistingCluster(
        "c",
        {
            "kubeconfig": KUBECONFIG,
            "load_balancer": False,
            "node_ports": {"http": 31080, "https": 31443},
        },
    )
    provider = mesh_session.settle().one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == KUBECONFIG
    assert provider.is_secret("kubeconfig")


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"kubeconfig": ""}, "kubeconfig", "empty"),
        ({"kubeconfig": "   \n"}, "kubeconfig", "empty"),
        ({"kubeconfig": "apiVersion: v1\nkind: Config\n"}, "kubeconfig", "no contexts"),
        ({"kubeconfig": "{{"}, "kubeconfig", "not valid YAML"),
        ({}, "kubeconfig", "give one"),
        ({"kubeconfig": KUBECONFIG, "kubeconfig_path": "/x"}, "kubeconfig", "give one"),
        ({"kubeconfig_path": "/does/not/exist"}, "kubeconfig_path", "not a file"),
        ({"kubeconfig": KUBECONFIG, "context": "dev"}, "context", "['prod', 'staging']"),
        ({"kubeconfig": KUBECONFIG, "load_balancer": False}, "node_ports", "needs them"),
    ],
)
def test_existing_cluster_rejects_bad_input(
    mesh_session: MockSession, args: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        ExistingCluster("c", args)  # type: ignore[arg-type]
    assert (err.value.component, err.value.field) == ("ExistingCluster", field)
    assert words in str(err.value)
    assert len(mesh_session.settle()) == 0


def test_empty_kubeconfig_file_is_rejected(mesh_session: MockSession, tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_text("")
    with pytest.raises(ValidationError, match=r"kubeconfig_path` is .*; it is empty"):
        ExistingCluster("c", {"kubeconfig_path": str(path)})


def test_listen_address_reaches_the_port_mappings_and_local_ingress() -> None:
    mappings = yaml.safe_load(kind_config({"listen_address": "0.0.0.0"}))["nodes"][0][
        "extraPortMappings"
    ]
    assert {m["listenAddress"] for m in mappings} == {"0.0.0.0"}
    with MockSession():
        everywhere = KindCluster("dev", {"listen_address": "0.0.0.0"})
        assert everywhere.local_ingress["address"] == "127.0.0.1", "clients still use loopback"
        lan = KindCluster("lan", {"listen_address": "192.0.2.10"})
        assert lan.local_ingress["address"] == "192.0.2.10"


def test_existing_cluster_without_a_load_balancer_uses_node_ports(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    with MockSession():
        cluster = ExistingCluster(
            "metal",
            {
                "kubeconfig_path": str(path),
                "load_balancer": False,
                "node_ports": {"http": 31080, "https": 31443},
            },
        )
        assert cluster.gateway_service() == {
            "type": "NodePort",
            "node_ports": {"http": 31080, "https": 31443},
        }
        assert cluster.node_ports == {"http": 31080, "https": 31443}


def test_a_kubeconfig_that_is_not_utf8_is_refused(
    mesh_session: MockSession, tmp_path: Path
) -> None:
    path = tmp_path / "utf16"
    path.write_bytes("apiVersion: v1\ncontexts: [{name: a}]\n".encode("utf-16"))
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        ExistingCluster("c", {"kubeconfig_path": str(path)})
    assert len(mesh_session.settle()) == 0


def test_a_kubeconfig_output_is_checked_once_known(mesh_session: MockSession) -> None:
    ExistingCluster("c", {"kubeconfig": pulumi.Output.from_input("not: [a kubeconfig")})
    # The package's own error, not the SDK's wrapper; a kubeconfig is never printed.
    with pytest.raises(ValidationError, match="`kubeconfig` is \\(a secret value\\); it is not"):
        mesh_session.settle()
    assert mesh_session.recording.find("pulumi:providers:kubernetes") == []


def test_a_kubeconfig_file_without_current_context_needs_a_context(
    mesh_session: MockSession, tmp_path: Path
) -> None:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG.replace("current-context: staging\n", ""))
    with pytest.raises(ValidationError) as err:
        ExistingCluster("c", {"kubeconfig_path": str(path)})
    assert (err.value.component, err.value.field) == ("ExistingCluster", "context")
    assert "no current-context; give one of ['prod', 'staging']" in str(err.value)
    assert len(mesh_session.settle()) == 0
    # Naming the context is the fix.
    ExistingCluster("c", {"kubeconfig_path": str(path), "context": "prod"})
    assert mesh_session.settle().one("pulumi:providers:kubernetes").inputs["context"] == "prod"


def test_a_bad_kubeconfig_is_never_printed(mesh_session: MockSession) -> None:
    with pytest.raises(ValidationError) as err:
        ExistingCluster("c", {"kubeconfig": "users: [{name: u, user: {token: TOKEN-1}}]\n"})
    assert "TOKEN-1" not in str(err.value)
    assert "is (a secret value); it has no contexts" in str(err.value)
