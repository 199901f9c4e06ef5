"""Scale: a mesh of N services through the components, against the same objects by hand.

The scenario, for N services: one CA and one HTTPS gateway carrying all N hosts; per service
a namespace enrolled in the mesh and a canary (DestinationRule + VirtualService: two subsets,
weights 90/10 and a header route), all under STRICT mTLS (mesh-wide and per namespace, with
allow-nothing and the gateway admitted). ``ours`` builds it with the package's components;
``hand`` declares the same Kubernetes objects (and the same pulumi-tls resources) directly
with ``pulumi_kubernetes``. Both run under the test kit's mock engine.

    python benchmarks/scale.py run ours 100       # one run in this process: a JSON line
    python benchmarks/scale.py report             # N = 10, 100, 1000: docs/benchmarks.md

Every measured run is a child process, so its peak RSS is its own; the ratios are taken from
runs made in the same invocation, on the same machine, one after the other.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GATEWAY_NS = "istio-ingress"
PRINCIPAL = "cluster.local/ns/istio-ingress/sa/istio-ingress"
MANAGED = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "mesh-https"}


def host(i: int) -> str:
    return f"svc{i}.example.com"


def ours(n: int) -> None:
    """The scenario through the components."""
    import mesh_https as m

    ca = m.CertificateAuthority("pki", {"protect_root": False})
    gateway = m.HttpsGateway(
        "edge",
        {
            "gateway_namespace": GATEWAY_NS,
            "selector": {"istio": "ingress"},
            "hosts": [host(i) for i in range(n)],
            "issuer": ca.issuer(),
        },
    )
    target = gateway.route_target()
    namespaces = {}
    for i in range(n):
        name = f"svc{i}"
        namespaces[name] = m.MeshNamespace(name, {"namespace": name})
        m.CanaryRoute(
            name,
            {
                "host": "app",
                "namespace": name,
                "subsets": [
                    {"name": "v1", "labels": {"version": "v1"}, "weight": 90},
                    {"name": "v2", "labels": {"version": "v2"}, "weight": 10},
                ],
                "routes": [
                    {"name": "canary", "subset": "v2", "headers": {"x-canary": {"exact": "on"}}}
                ],
                "gateways": [target],
                "external_hosts": [host(i)],
                "depends_on": [namespaces[name]],
            },
        )
    m.StrictMtls(
        "mtls",
        {
            "namespaces": list(namespaces),
            "gateway_principal": PRINCIPAL,
            "namespace_dependencies": {ns: [res] for ns, res in namespaces.items()},
        },
    )


def _istio(
    resource_name: str, kind: str, name: str, namespace: str, spec: Any, after: list[Any]
) -> Any:
    import pulumi
    import pulumi_kubernetes as k8s

    group = "security" if kind in ("PeerAuthentication", "AuthorizationPolicy") else "networking"
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=f"{group}.istio.io/v1",
        kind=kind,
        metadata={"name": name, "namespace": namespace, "labels": dict(MANAGED)},
        spec=spec,
        opts=pulumi.ResourceOptions(depends_on=after),
    )


def hand(n: int) -> None:
    """The same objects, declared directly."""
    import pulumi
    import pulumi_kubernetes as k8s
    import pulumi_tls as tls

    root_key = tls.PrivateKey("pki-root-key", algorithm="ECDSA", ecdsa_curve="P256")
    root = tls.SelfSignedCert(
        "pki-root",
        private_key_pem=root_key.private_key_pem,
        subject={"common_name": "pki root CA", "organization": "mesh-https"},
        is_ca_certificate=True,
        set_subject_key_id=True,
        allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
        validity_period_hours=2160,
        early_renewal_hours=720,
    )
    hosts = [host(i) for i in range(n)]
    leaf_key = tls.PrivateKey("edge-shared-key", algorithm="ECDSA", ecdsa_curve="P256")
    csr = tls.CertRequest(
        "edge-shared-csr",
        private_key_pem=leaf_key.private_key_pem,
        subject={"common_name": hosts[0], "organization": None},
        dns_names=hosts,
    )
    leaf = tls.LocallySignedCert(
        "edge-shared-cert",
        cert_request_pem=csr.cert_request_pem,
        ca_cert_pem=root.cert_pem,
        ca_private_key_pem=root_key.private_key_pem,
        is_ca_certificate=False,
        set_subject_key_id=True,
        allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
        validity_period_hours=2160,
        early_renewal_hours=720,
    )
    secret = k8s.core.v1.Secret(
        "edge-shared",
        metadata={"name": "edge-shared-tls", "namespace": GATEWAY_NS, "labels": dict(MANAGED)},
        type="kubernetes.io/tls",
        string_data=pulumi.Output.secret(
            {"tls.crt": leaf.cert_pem, "tls.key": leaf_key.private_key_pem}
        ),
    )
    ordered = sorted(hosts)
    _istio(
        "edge-gateway",
        "Gateway",
        "edge",
        GATEWAY_NS,
        {
            "selector": {"istio": "ingress"},
            "servers": [
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "hosts": ordered,
                    "tls": {"httpsRedirect": True},
                },
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": hosts,
                    "tls": {
                        "mode": "SIMPLE",
                        "credentialName": "edge-shared-tls",
                        "minProtocolVersion": "TLSV1_2",
                    },
                },
            ],
        },
        [secret],
    )
    _istio("mtls-mesh", "PeerAuthentication", "default", "istio-system",
           {"mtls": {"mode": "STRICT"}}, [])  # fmt: skip
    for i in range(n):
        name = f"svc{i}"
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": name, "labels": {**MANAGED, "istio-injection": "enabled"}},
        )
        fqdn = f"app.{name}.svc.cluster.local"
        exported = [".", GATEWAY_NS]
        dr = _istio(
            f"{name}-destination-rule",
            "DestinationRule",
            name,
            name,
            {
                "host": fqdn,
                "subsets": [
                    {"name": "v1", "labels": {"version": "v1"}},
                    {"name": "v2", "labels": {"version": "v2"}},
                ],
                "exportTo": exported,
            },
            [namespace],
        )
        _istio(
            f"{name}-virtual-service",
            "VirtualService",
            name,
            name,
            {
                "hosts": [host(i), fqdn],
                "gateways": [f"{GATEWAY_NS}/edge", "mesh"],
                "exportTo": exported,
                "http": [
                    {
                        "name": "canary",
                        "match": [{"headers": {"x-canary": {"exact": "on"}}}],
                        "route": [{"destination": {"host": fqdn, "subset": "v2"}}],
                    },
                    {
                        "name": "default",
                        "route": [
                            {"destination": {"host": fqdn, "subset": "v1"}, "weight": 90},
                            {"destination": {"host": fqdn, "subset": "v2"}, "weight": 10},
                        ],
                    },
                ],
            },
            [dr, namespace],
        )
        _istio(f"mtls-{name}-peer", "PeerAuthentication", "default", name,
               {"mtls": {"mode": "STRICT"}}, [namespace])  # fmt: skip
        _istio(f"mtls-{name}-allow-nothing", "AuthorizationPolicy", "allow-nothing", name, {},
               [namespace])  # fmt: skip
        _istio(
            f"mtls-{name}-allow-ingress-gateway",
            "AuthorizationPolicy",
            "allow-ingress-gateway",
            name,
            {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": [PRINCIPAL]}}]}]},
            [namespace],
        )


SIDES = {"ours": ours, "hand": hand}


def run_side(side: str, n: int) -> dict[str, Any]:
    """Run one side in this process under the mock engine; what it cost and registered."""
    from mesh_https.testing import MockSession

    started_wall, started_cpu = time.perf_counter(), time.process_time()
    gc_time = 0.0
    gc_started = 0.0

    def gc_callback(phase: str, _info: dict[str, Any]) -> None:
        nonlocal gc_time, gc_started
        if phase == "start":
            gc_started = time.perf_counter()
        else:
            gc_time += time.perf_counter() - gc_started

    gc.callbacks.append(gc_callback)
    with MockSession() as session:
        SIDES[side](n)
        recording = session.settle()
        registrations = len(recording)
        edges = sum(
            len(set(r.dependencies) | {u for us in r.property_dependencies.values() for u in us})
            for r in recording
        )
        k8s_objects = len(recording.k8s_objects())
        kinds: dict[str, int] = {}
        for r in recording:
            kind = r.kind if r.custom and r.kind else r.type.rsplit(":", 1)[-1]
            kinds[kind] = kinds.get(kind, 0) + 1
    gc.callbacks.remove(gc_callback)
    return {
        "side": side,
        "n": n,
        "wall": time.perf_counter() - started_wall,
        "cpu": time.process_time() - started_cpu,
        "gc": gc_time,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "registrations": registrations,
        "k8s_objects": k8s_objects,
        "edges": edges,
        "kinds": dict(sorted(kinds.items())),
    }


def child(side: str, n: int) -> dict[str, Any]:
    """One run in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "run", side, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def time_import(repetitions: int) -> dict[str, float]:
    """Median seconds to import the SDKs alone, and the SDKs plus mesh_https."""
    code = {
        "sdk": "import pulumi, pulumi_kubernetes, pulumi_tls, pulumi_command",
        "mesh_https": "import pulumi, pulumi_kubernetes, pulumi_tls, pulumi_command, mesh_https",
    }
    medians = {}
    for name, statement in code.items():
        samples = []
        for _ in range(repetitions):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True, cwd=ROOT)
            samples.append(time.perf_counter() - started)
        medians[name] = statistics.median(samples)
    return medians


def _walk(value: Any) -> None:
    """Visit every value once: the least any check of every object can cost."""
    if isinstance(value, dict):
        for item in value.values():
            _walk(item)
    elif isinstance(value, list):
        for item in value:
            _walk(item)


def time_analysis(n: int, repetitions: int) -> dict[str, float]:
    """Median seconds of ``analysis.analyze`` over the scenario's objects at ``n``, and of one
    plain walk over the same objects (a linear baseline, for the memory effects of size)."""
    from mesh_https import analysis
    from mesh_https.testing import MockSession

    with MockSession() as session:
        ours(n)
        recording = session.settle()
        manifests = recording.manifests()
        releases = recording.helm_releases()
    samples: dict[str, list[float]] = {"analysis": [], "walk": []}
    for _ in range(repetitions):
        started = time.perf_counter()
        analysis.analyze(manifests, releases)
        samples["analysis"].append(time.perf_counter() - started)
        started = time.perf_counter()
        _walk(manifests)
        samples["walk"].append(time.perf_counter() - started)
    return {key: statistics.median(values) for key, values in samples.items()}


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def report(sizes: list[int], repetitions: int, out: Path, plot: bool) -> dict[str, Any]:
    """Measure both sides at every size, and write the Markdown report (and plot)."""
    rows = []
    for n in sizes:
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "hand": []}
        for _ in range(repetitions):
            for side in ("hand", "ours"):  # alternate, so drift hits both sides alike
                runs[side].append(child(side, n))
        row: dict[str, Any] = {"n": n}
        for side, samples in runs.items():
            row[side] = {
                "wall": statistics.median(s["wall"] for s in samples),
                "wall_all": [s["wall"] for s in samples],
                "cpu": statistics.median(s["cpu"] for s in samples),
                "gc": statistics.median(s["gc"] for s in samples),
                "rss": statistics.median(s["peak_rss_kib"] for s in samples),
                "registrations": samples[0]["registrations"],
                "k8s_objects": samples[0]["k8s_objects"],
                "edges": samples[0]["edges"],
                "kinds": samples[0]["kinds"],
            }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    analysis = {n: time_analysis(n, repetitions) for n in sizes}
    imports = time_import(repetitions)
    data = {"rows": rows, "analysis": analysis, "imports": imports}
    out.parent.mkdir(parents=True, exist_ok=True)
    if plot:
        _plot(rows, out.with_suffix(".png"))
    out.write_text(_markdown(data, repetitions, plot, out.with_suffix(".png").name))
    return data


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    for side, label in (("ours", "components"), ("hand", "hand-written")):
        ax.plot(sizes, [r[side]["wall"] for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("services (N)")
    ax.set_ylabel("wall time, median (s)")
    ax.set_title("mesh of N canary services under mocks")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _markdown(data: dict[str, Any], repetitions: int, plot: bool, png: str) -> str:
    rows = data["rows"]
    lines = [
        "# Benchmarks: a mesh of N services",
        "",
        "Written by `benchmarks/scale.py report` (the README gives the command). "
        "Absolute times depend on the machine; read the ratios, which come from runs made "
        "one after the other in the same invocation.",
        "",
        "## Method",
        "",
        "- Scenario: one CA and one HTTPS gateway carrying all N hosts; per service a mesh "
        "namespace and a canary (DestinationRule + VirtualService, two subsets 90/10 and a "
        "header route), under STRICT mTLS (mesh-wide and per namespace, allow-nothing, the "
        "gateway admitted).",
        "- `components`: built with `MeshNamespace`, `CanaryRoute`, `StrictMtls`, "
        "`HttpsGateway`, `CertificateAuthority`. `hand-written`: the same Kubernetes objects "
        "and pulumi-tls resources declared directly with `pulumi_kubernetes`. A test checks, "
        "at a small N, that both register the same objects.",
        f"- Each run is a child process under the test kit's mock engine; {repetitions} "
        "repetitions per side and size, alternating sides; medians, with the spread "
        "(min-max) of wall time. Peak RSS is the child's own (`ru_maxrss`).",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()}.",
        "",
        "## Results",
        "",
        "| N | wall ours (s) | wall hand (s) | ours / hand wall | ours / hand CPU | "
        "ours / hand wall without GC | ours / hand peak RSS | per service vs N=100 (ours, hand) | "
        "registrations per service (ours, hand) | edges per service (ours, hand) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ref = next((r for r in rows if r["n"] == 100), rows[0])

    def per_service(row: dict[str, Any], side: str) -> float:
        value: float = (row[side]["wall"] / row["n"]) / (ref[side]["wall"] / ref["n"])
        return value

    for row in rows:
        o, h = row["ours"], row["hand"]
        n = row["n"]
        lines.append(
            f"| {n} | {o['wall']:.2f} ({spread(o['wall_all'])}) | "
            f"{h['wall']:.2f} ({spread(h['wall_all'])}) | "
            f"{o['wall'] / h['wall']:.2f}x | {o['cpu'] / h['cpu']:.2f}x | "
            f"{(o['wall'] - o['gc']) / (h['wall'] - h['gc']):.2f}x | "
            f"{o['rss'] / h['rss']:.2f}x | "
            f"{per_service(row, 'ours'):.2f}, {per_service(row, 'hand'):.2f} | "
            f"{o['registrations'] / n:.2f}, {h['registrations'] / n:.2f} | "
            f"{o['edges'] / n:.2f}, {h['edges'] / n:.2f} |"
        )
    lines += ["", *_registrations(rows[-1]), ""]
    lines += [
        "Analysis (`mesh_https.analysis.analyze` over the scenario's objects), against one plain "
        "walk over the same objects: a linear baseline, which shows how much of the growth "
        "with N is the machine's memory (caches) rather than the checks:",
        "",
    ]
    lines += [
        "| N | analysis, median (s) | vs N=100 | one walk (s) | vs N=100 | analysis / walk |",
        "|---|---|---|---|---|---|",
    ]
    timed = data["analysis"]
    base = timed.get(100, next(iter(timed.values())))
    lines += [
        f"| {n} | {t['analysis']:.4f} | {t['analysis'] / base['analysis']:.1f}x | "
        f"{t['walk']:.4f} | {t['walk'] / base['walk']:.1f}x | "
        f"{t['analysis'] / t['walk']:.2f} |"
        for n, t in timed.items()
    ]
    imports = data["imports"]
    lines += [
        "",
        f"Import: the SDKs alone {imports['sdk']:.2f} s, with `mesh_https` "
        f"{imports['mesh_https']:.2f} s ({imports['mesh_https'] / imports['sdk']:.2f}x).",
        "",
    ]
    if plot:
        lines += [f"![wall time against N]({png})", ""]
    return "\n".join(lines)


def _registrations(row: dict[str, Any]) -> list[str]:
    """What each side registers at the largest N: per service (count = N) and per mesh."""
    n = row["n"]
    lines = [
        f"Registrations at N = {n}, by kind: so many per service, plus a constant per mesh. "
        "A canary service is its `CanaryRoute`, a DestinationRule and a VirtualService (3 "
        "registrations, 2 Kubernetes objects); its namespace is a `MeshNamespace`, the "
        "Namespace, and `StrictMtls`'s PeerAuthentication and two AuthorizationPolicies (5, "
        "4 objects).",
        "",
        "| kind | ours | hand-written |",
        "|---|---|---|",
    ]
    kinds = sorted(set(row["ours"]["kinds"]) | set(row["hand"]["kinds"]))
    for kind in kinds:
        cells = []
        for side in ("ours", "hand"):
            count = row[side]["kinds"].get(kind, 0)
            per, rest = divmod(count, n)
            cell = f"{per} per service" if per else ""
            cells.append(f"{cell} + {rest}" if per and rest else cell or str(rest))
        lines.append(f"| {kind} | {cells[0]} | {cells[1]} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run", help="one run in this process; prints JSON")
    one.add_argument("side", choices=sorted(SIDES))
    one.add_argument("n", type=int)
    many = commands.add_parser("report", help="measure and write docs/benchmarks.md")
    many.add_argument("--sizes", default="10,100,1000")
    many.add_argument("--repetitions", type=int, default=5)
    many.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    many.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "run":
        print(json.dumps(run_side(args.side, args.n)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    report(sizes, args.repetitions, Path(args.out), not args.no_plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
