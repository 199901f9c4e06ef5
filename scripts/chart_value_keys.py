#!/usr/bin/env python3
"""Write the value keys an Istio chart documents, for the test that checks ours against them.

    helm pull istiod --repo https://blob.istio.io/istio-release/charts --version 1.31.4 --untar
    python scripts/chart_value_keys.py istiod/values.yaml --source "istiod 1.31.4" \
        > tests/data/istio-chart-values/1.31/istiod.json

or from a checkout of istio/istio (name the commit in ``--source``):

    git show <commit>:manifests/charts/istio-control/istio-discovery/values.yaml > values.yaml

One directory per current minor; the test checks each release against its version's minor.

Istio's charts keep their defaults under ``_internal_defaults_do_not_set`` (their
``templates/zzz_profile.yaml`` lays them under ``.Values``), so that prefix is dropped: the keys
are as a user sets them. A key ends at a scalar, a list or an empty map. Maps a chart renders
whole with ``toYaml`` (empty by default, or annotations, labels and env) are "open": any key
below them is the user's own.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

INTERNAL = "_internal_defaults_do_not_set"
_OPEN_NAME = re.compile(r"(annotations|labels|env|nodeselector|selectorlabels)$", re.IGNORECASE)


def walk(node: Any, path: str, keys: set[str], open_maps: set[str]) -> None:
    """Collect leaf paths into ``keys`` and free-form maps into ``open_maps``."""
    if isinstance(node, dict):
        last = path.rsplit(".", 1)[-1] if path else ""
        if path and (not node or _OPEN_NAME.search(last)):
            open_maps.add(path)
            keys.add(path)
            return
        for key, value in node.items():
            walk(value, f"{path}.{key}" if path else str(key), keys, open_maps)
    elif path:
        keys.add(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("values", type=Path, help="the chart's values.yaml")
    parser.add_argument("--source", required=True, help="where it came from, e.g. 'istiod 1.31.4'")
    args = parser.parse_args()
    data = yaml.safe_load(args.values.read_text()) or {}
    values = {**{k: v for k, v in data.items() if k != INTERNAL}, **(data.get(INTERNAL) or {})}
    keys: set[str] = set()
    open_maps: set[str] = set()
    walk(values, "", keys, open_maps)
    json.dump(
        {"source": args.source, "keys": sorted(keys), "open_maps": sorted(open_maps)},
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
