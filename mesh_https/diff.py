"""``mesh-https diff``: two synth outputs compared object by object, as a PR comment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_COMPARED = ("objects", "releases")
_MISSING = object()


@dataclass
class FileChange:
    """One object or release file that differs: its changed fields as (path, before, after)."""

    path: str
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)


@dataclass
class SynthDiff:
    """What differs between two synth outputs."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[FileChange] = field(default_factory=list)
    findings_added: list[str] = field(default_factory=list)
    findings_removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No object, release or finding differs."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.findings_added
            or self.findings_removed
        )


def _files(root: Path) -> dict[str, Path]:
    found = {}
    for top in _COMPARED:
        for path in sorted((root / top).rglob("*.yaml")):
            found[str(path.relative_to(root))] = path
    return found


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of nested maps and lists by dotted path (``spec.http[0].route[1].weight``)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flatten(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, child in enumerate(value):
            out.update(flatten(child, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _findings(root: Path) -> set[str]:
    path = root / "summary.json"
    if not path.is_file():
        return set()
    data = json.loads(path.read_text())
    return {f"{f['level']} {f['code']} {f['resource']}: {f['message']}" for f in data["findings"]}


def compare(old: Path, new: Path) -> SynthDiff:
    """The differences between the synth outputs in ``old`` and ``new``."""
    for root in (old, new):
        if not (root / "summary.json").is_file():
            raise FileNotFoundError(f"{root} is not a mesh-https synth output (no summary.json)")
    before, after = _files(old), _files(new)
    result = SynthDiff(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
    )
    for path in sorted(set(before) & set(after)):
        a = flatten(yaml.safe_load(before[path].read_text()))
        b = flatten(yaml.safe_load(after[path].read_text()))
        fields = [
            (key, a.get(key, _MISSING), b.get(key, _MISSING))
            for key in sorted(set(a) | set(b))
            if a.get(key, _MISSING) != b.get(key, _MISSING)
        ]
        if fields:
            result.changed.append(FileChange(path, fields))
    old_findings, new_findings = _findings(old), _findings(new)
    result.findings_added = sorted(new_findings - old_findings)
    result.findings_removed = sorted(old_findings - new_findings)
    return result


def _cell(value: Any) -> str:
    if value is _MISSING:
        return "_(absent)_"
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text[:117] + '...' if len(text) > 120 else text}`"


def markdown(diff: SynthDiff, title: str = "mesh-https synth diff") -> str:
    """The diff as a pull-request comment (GitHub-flavoured Markdown)."""
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    lines = [f"### {title}", ""]
    if diff.empty:
        return "\n".join(
            [*lines, "No changes to Kubernetes objects, Helm releases or findings.", ""]
        )
    lines += [f"**{counts}**", ""]
    if diff.added:
        lines += ["#### Added", "", *[f"- `{p}`" for p in diff.added], ""]
    if diff.removed:
        lines += ["#### Removed", "", *[f"- `{p}`" for p in diff.removed], ""]
    if diff.changed:
        lines += ["#### Changed", ""]
        for change in diff.changed:
            lines += [
                f"<details><summary><code>{change.path}</code>: {len(change.fields)} field(s)"
                "</summary>",
                "",
                "| field | before | after |",
                "|---|---|---|",
                *[f"| `{k}` | {_cell(a)} | {_cell(b)} |" for k, a, b in change.fields],
                "",
                "</details>",
                "",
            ]
    if diff.findings_added or diff.findings_removed:
        lines += ["#### Analysis findings", ""]
        lines += [f"- new: {f}" for f in diff.findings_added]
        lines += [f"- resolved: {f}" for f in diff.findings_removed]
        lines.append("")
    return "\n".join(lines)
