"""Speed and memory of the package's hot paths, as ratios to a baseline measured in the same run.

Machines are shared and noisy, so absolute times mean little: each case is reported as a
multiple of a baseline (a mock run of a one-resource program) timed alongside it.

    .venv/bin/python benchmarks/bench.py            # default repetitions
    .venv/bin/python benchmarks/bench.py --quick    # one repetition, for a smoke check
"""

from __future__ import annotations

import argparse
import runpy
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pulumi_kubernetes as k8s
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mesh_https.testing import MockSession  # noqa: E402
from mesh_https.testing._tls import generate_key  # noqa: E402


def run_program(program: Callable[[], object], **session: object) -> None:
    with MockSession(**session) as mock:  # type: ignore[arg-type]
        program()
        mock.settle()


def baseline() -> None:
    run_program(lambda: k8s.core.v1.ConfigMap("one", data={"k": "v"}))


def dev_stack() -> None:
    config = yaml.safe_load((ROOT / "stacks/Pulumi.dev.yaml").read_text())["config"]
    run_program(
        lambda: runpy.run_path(str(ROOT / "__main__.py")),
        project="mesh-https",
        stack="dev",
        config=config,
    )


def gateway_20_hosts() -> None:
    from mesh_https import HttpsGateway

    hosts = [f"h{i}.example.com" for i in range(20)]
    run_program(
        lambda: HttpsGateway(
            "gw",
            {
                "gateway_namespace": "istio-ingress",
                "selector": {"istio": "ingress"},
                "hosts": hosts,
                "grouping": "per_host",
            },
        )
    )


def ecdsa_p256_key() -> None:
    generate_key("ECDSA", ecdsa_curve="P256")


def rsa_2048_key() -> None:
    generate_key("RSA", rsa_bits=2048)


def measure(fn: Callable[[], None], repeat: int) -> tuple[float, int]:
    """Median seconds over ``repeat`` runs, and the peak traced memory of one run."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one repetition of each case")
    repeat = 1 if parser.parse_args().quick else 7
    base_time, base_peak = measure(baseline, repeat)
    cases: list[tuple[str, Callable[[], None], int]] = [
        ("dev stack under mocks (real TLS material)", dev_stack, repeat),
        ("HttpsGateway, 20 hosts, one certificate each", gateway_20_hosts, repeat),
    ]
    ms, kib = base_time * 1000, base_peak / 1024
    print(f"baseline: one-resource mock run, {ms:.1f} ms, {kib:.0f} KiB peak")
    print(f"{'case':48} {'time x':>8} {'memory x':>9}")
    for label, fn, n in cases:
        seconds, peak = measure(fn, n)
        print(f"{label:48} {seconds / base_time:8.1f} {peak / base_peak:9.1f}")
    ecdsa, _ = measure(ecdsa_p256_key, repeat * 5)
    rsa, _ = measure(rsa_2048_key, repeat)
    print(f"{'RSA-2048 key generation vs ECDSA P-256':48} {rsa / ecdsa:8.1f}")


if __name__ == "__main__":
    main()
