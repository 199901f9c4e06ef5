"""``mesh-https synth``: run a Pulumi Python program offline and write what it would apply.

The program runs on the test kit's mock engine (no CLI, cluster or credentials), with a
stack's config read as the pulumi CLI reads it: ``Pulumi.yaml``'s ``main``, ``config`` and
``stackConfigDir``, then ``Pulumi.<stack>.yaml``. Everything it registered is written out
deterministically: Kubernetes objects, Helm releases, the resource graph and a summary with
the analysis findings. Two runs give byte-identical output: secrets are masked (unless
revealed) and generated PEM material is replaced by a description that does not change
between runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import runpy
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509

from mesh_https.analysis import AnalysisError, Finding, analyze, errors
from mesh_https.istio_charts import CACERTS_ANNOTATION
from mesh_https.pki import dns_names
from mesh_https.testing import MockSession, RecordedResource, Recording

SECRET = "[secret]"
ENCRYPTED_PLACEHOLDER = "[encrypted in stack config]"
CA_HASH_PLACEHOLDER = "[sha256 of cacerts: changes whenever the plugged-in CA does]"
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----[A-Za-z0-9+/=\s]*?-----END \1-----\n?")


class SynthError(Exception):
    """The project could not be read (no Pulumi.yaml, no such stack, ...)."""


@dataclass
class Project:
    """A Pulumi project as the CLI sees it."""

    directory: Path
    name: str
    main: Path
    stack_config_dir: Path
    defaults: dict[str, Any]

    @classmethod
    def load(cls, directory: Path) -> Project:
        """Read ``Pulumi.yaml`` (or ``Pulumi.yml``) in ``directory``."""
        for candidate in ("Pulumi.yaml", "Pulumi.yml"):
            path = directory / candidate
            if path.is_file():
                break
        else:
            raise SynthError(f"no Pulumi.yaml in {directory}")
        data = yaml.safe_load(path.read_text()) or {}
        runtime = data.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name != "python":
            raise SynthError(f"{path}: runtime is {runtime_name!r}; synth runs Python programs")
        name = str(data["name"])
        main = directory / str(data.get("main", "."))
        if main.is_dir():
            main = main / "__main__.py"
        if not main.is_file():
            raise SynthError(f"{path}: the program {main} does not exist")
        defaults = {}
        for key, spec in (data.get("config") or {}).items():
            value = spec.get("value", spec.get("default")) if isinstance(spec, dict) else spec
            if value is not None:
                defaults[_full_key(name, key)] = value
        config_dir = directory / str(data.get("stackConfigDir", "."))
        return cls(directory, name, main, config_dir, defaults)

    def stacks(self) -> list[str]:
        """The stacks that have a config file."""
        return sorted(
            p.name[len("Pulumi.") : -len(".yaml")]
            for p in self.stack_config_dir.glob("Pulumi.*.yaml")
        )

    def stack_config(self, stack: str) -> tuple[dict[str, Any], list[str]]:
        """Config values (project defaults, then the stack's) and the keys that are secret."""
        path = self.stack_config_dir / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            raise SynthError(f"no stack config {path}; stacks here: {', '.join(self.stacks())}")
        data = yaml.safe_load(path.read_text()) or {}
        config = dict(self.defaults)
        secret_keys = []
        for key, value in (data.get("config") or {}).items():
            full = _full_key(self.name, key)
            if isinstance(value, dict) and set(value) == {"secure"}:
                # Encrypted with the stack's secrets provider, which synth does not have.
                value = ENCRYPTED_PLACEHOLDER
                secret_keys.append(full)
            config[full] = value
        return config, secret_keys


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


@dataclass
class SynthResult:
    """What a run produced."""

    recording: Recording
    findings: list[Finding] = field(default_factory=list)
    program_error: BaseException | None = None

    @property
    def exit_code(self) -> int:
        """0 clean, 1 error-level findings, 2 the program failed."""
        if self.program_error is not None:
            return 2
        return 1 if errors(self.findings) else 0


@contextmanager
def _program_context(project: Project) -> Iterator[None]:
    saved_path, saved_cwd, saved_modules = list(sys.path), os.getcwd(), set(sys.modules)
    sys.path.insert(0, str(project.main.parent))
    os.chdir(project.main.parent)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)
        # The program's own modules go, so another project's modules of the same name load.
        for name in set(sys.modules) - saved_modules:
            source = getattr(sys.modules[name], "__file__", None) or ""
            if source.startswith(str(project.directory)) and name.split(".")[0] != "mesh_https":
                del sys.modules[name]


def run_program(project: Project, stack: str) -> SynthResult:
    """Run the project's program for ``stack`` under mocks; never raises for program errors."""
    config, secret_keys = project.stack_config(stack)
    with (
        _program_context(project),
        MockSession(
            project=project.name, stack=stack, config=config, secret_keys=secret_keys
        ) as session,
    ):
        error: BaseException | None = None
        try:
            runpy.run_path(str(project.main), run_name="__main__")
        except Exception as exc:
            error = exc
        try:
            # A program's own analysis guard: its findings are computed below from the
            # whole recording, so they count as findings, not as a failed program.
            with contextlib.suppress(AnalysisError):
                session.settle()
        except Exception as exc:
            error = error or exc
        recording = session.recording
    if error is not None:
        # A program that failed registered only part of its graph: findings about what is
        # missing (no STRICT policy, say, because StrictMtls never ran) are noise beside the
        # one error that matters.
        return SynthResult(recording, [], error)
    findings = analyze(
        recording.manifests(), recording.helm_releases(), certificates=recording.certificates()
    )
    return SynthResult(recording, findings, error)


# ------------------------------------------------------------------------------- rendering


def describe_pem(block: str) -> str:
    """A PEM block as a stable description: a certificate's subject, SANs and issuer."""
    kind = block.split("-----")[1].removeprefix("BEGIN ")
    if kind != "CERTIFICATE":
        return f"<{kind}>"
    try:
        cert = x509.load_pem_x509_certificate(block.encode())
    except ValueError:
        return "<CERTIFICATE>"
    parts = [f"subject={cert.subject.rfc4514_string()}", f"issuer={cert.issuer.rfc4514_string()}"]
    names = dns_names(cert)
    if names:
        parts.append(f"sans={','.join(names)}")
    return f"<CERTIFICATE {' '.join(parts)}>"


def _mask_pem(value: str) -> str:
    return _PEM.sub(lambda m: describe_pem(m.group(0)), value)


def mask(
    resource: RecordedResource, value: Any, *, reveal: bool, path: tuple[Any, ...] = ()
) -> Any:
    """``value`` (under ``path`` of the resource's inputs) ready to write."""
    if not reveal and resource.is_secret(*path):
        # Keep the keys of a secret map: which keys exist is worth reviewing.
        return {k: SECRET for k in sorted(value)} if isinstance(value, dict) else SECRET
    if isinstance(value, dict):
        return {k: mask(resource, v, reveal=reveal, path=(*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(resource, v, reveal=reveal, path=(*path, i)) for i, v in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire turns 443 into 443.0
    if isinstance(value, str):
        # A hash of generated key material differs on every run, like the material itself.
        return CA_HASH_PLACEHOLDER if path[-1:] == (CACERTS_ANNOTATION,) else _mask_pem(value)
    return value


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False, allow_unicode=True)


def _object_path(manifest: dict[str, Any]) -> str:
    metadata = manifest.get("metadata") or {}
    namespace = metadata.get("namespace") or "_cluster"
    return f"objects/{namespace}/{manifest.get('kind')}/{metadata.get('name')}.yaml"


def graph(recording: Recording) -> list[dict[str, Any]]:
    """The resource graph: type, name, parent, provider and dependencies, sorted by URN."""
    nodes = []
    for r in sorted(recording, key=lambda r: r.urn):
        edges = set(r.dependencies)
        for urns in r.property_dependencies.values():
            edges.update(urns)
        nodes.append(
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "provider": r.provider_urn,
                "dependencies": sorted(edges),
            }
        )
    return nodes


def mermaid(nodes: list[dict[str, Any]]) -> str:
    """The graph as a Mermaid flowchart: solid arrows are dependencies, dotted are parents."""
    ids = {node["urn"]: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["flowchart TD"]
    for node in nodes:
        kind = node["type"].split(":")[-1]
        lines.append(f'  {ids[node["urn"]]}["{kind}<br/>{node["name"]}"]')
    for node in nodes:
        if node["parent"] in ids:
            lines.append(f"  {ids[node['parent']]} -.- {ids[node['urn']]}")
        for dep in node["dependencies"]:
            if dep in ids:
                lines.append(f"  {ids[dep]} --> {ids[node['urn']]}")
    return "\n".join(lines) + "\n"


def summary(result: SynthResult, stack: str, objects: dict[str, Any]) -> dict[str, Any]:
    """Counts by kind and type, the findings, and any program error."""
    kinds = Counter(str(m.get("kind")) for m in objects.values())
    types = Counter(r.type for r in result.recording)
    return {
        "stack": stack,
        "resources": len(result.recording),
        "kinds": dict(sorted(kinds.items())),
        "types": dict(sorted(types.items())),
        "findings": [
            {"level": f.level, "code": f.code, "resource": f.resource, "message": f.message}
            for f in result.findings
        ],
        "program_error": None if result.program_error is None else str(result.program_error),
        "exit_code": result.exit_code,
    }


def summary_markdown(data: dict[str, Any]) -> str:
    """The summary for people."""
    lines = [f"# mesh-https synth: stack `{data['stack']}`", ""]
    if data["program_error"]:
        lines += ["**The program failed:**", "", "```", data["program_error"], "```", ""]
    lines += [f"{data['resources']} resources.", "", "| kind | objects |", "|---|---|"]
    lines += [f"| {kind} | {count} |" for kind, count in data["kinds"].items()]
    lines += ["", "## Findings", ""]
    if not data["findings"]:
        lines.append("None.")
    for f in data["findings"]:
        lines.append(f"- **{f['level']}** `{f['code']}` {f['resource']}: {f['message']}")
    return "\n".join(lines) + "\n"


MARKER = ".mesh-https-synth"
"""The file that marks a folder as synth's output, so a later run may replace it."""
_WRITTEN = ("objects", "releases", "graph.json", "graph.mmd", "summary.json", "summary.md")


def check_output(out: Path, protect: Iterable[Path] = ()) -> list[Path]:
    """Why ``out`` may not take synth's output, as a :class:`SynthError`; else what an earlier
    synth output left there, to delete.

    Refused: the current folder, a ``protect``ed folder (the project) or a folder holding
    either; a file; a non-empty folder without synth's marker; a marked folder that also holds
    files synth does not write.
    """
    target = out.resolve()
    for keep in (Path.cwd(), *protect):
        keep = keep.resolve()
        if target == keep or target in keep.parents:
            raise SynthError(
                f"refusing to write into {out}: it is or holds {keep}, which synth must not "
                "replace; give --out a folder of its own, e.g. synth-out"
            )
    if target.exists() and not target.is_dir():
        raise SynthError(f"refusing to write into {out}: it is a file, not a folder")
    if not target.is_dir():
        return []
    entries = {entry.name for entry in target.iterdir()}
    if entries and MARKER not in entries:
        raise SynthError(
            f"refusing to replace {out}: it is not empty and was not written by synth (no "
            f"{MARKER} marker); give --out a new or empty folder"
        )
    foreign = sorted(entries - {MARKER, *_WRITTEN})
    if foreign:
        raise SynthError(
            f"refusing to replace {out}: it holds {foreign}, which synth did not write; "
            "move them or give --out another folder"
        )
    return [target / name for name in sorted(entries & set(_WRITTEN))]


def prepare_output(out: Path, protect: Iterable[Path] = ()) -> None:
    """Make ``out`` ready for a fresh output, deleting only what synth itself wrote there."""
    for path in check_output(out, protect):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    target = out.resolve()
    target.mkdir(parents=True, exist_ok=True)
    (target / MARKER).write_text("Written by `mesh-https synth`; it replaces this folder.\n")


def write(
    result: SynthResult,
    stack: str,
    out: Path,
    *,
    reveal: bool = False,
    protect: Iterable[Path] = (),
) -> dict[str, Any]:
    """Write the synth output for ``result`` into ``out``, replacing an earlier synth output
    there (see :func:`prepare_output`; ``protect`` names folders never to replace)."""
    prepare_output(out, protect)
    objects: dict[str, Any] = {}
    for resource in result.recording.k8s_objects():
        masked = mask(resource, resource.manifest(), reveal=reveal)
        if resource.kind == "Secret" and not reveal:
            for key in ("data", "stringData"):
                if isinstance(masked.get(key), dict):
                    masked[key] = {k: SECRET for k in masked[key]}
        objects[_object_path(masked)] = masked
    for path, manifest in objects.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(manifest))
    for release in result.recording.find("kubernetes:helm.sh/v3:Release"):
        entry = {
            "chart": release.inputs.get("chart"),
            "repository": (release.inputs.get("repositoryOpts") or {}).get("repo"),
            "version": release.inputs.get("version"),
            "namespace": release.inputs.get("namespace", "default"),
            "name": release.inputs.get("name") or release.name,
            "values": release.inputs.get("values") or {},
        }
        masked = mask(release, entry, reveal=reveal)
        target = out / "releases" / str(entry["namespace"]) / f"{entry['name']}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(masked))
    nodes = graph(result.recording)
    (out / "graph.json").write_text(json.dumps(nodes, indent=2, sort_keys=True) + "\n")
    (out / "graph.mmd").write_text(mermaid(nodes))
    data = summary(result, stack, objects)
    (out / "summary.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    (out / "summary.md").write_text(summary_markdown(data))
    return data


def synth(
    directory: Path,
    stack: str,
    out: Path,
    *,
    reveal: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> SynthResult:
    """Run the project in ``directory`` for ``stack`` and write its output to ``out``."""
    started = time.monotonic()
    project = Project.load(directory)
    check_output(out, [project.directory])  # before the program runs: fail fast
    progress(f"running {project.main.relative_to(directory)} for stack {stack!r} (mock engine)")
    result = run_program(project, stack)
    progress(f"registered {len(result.recording)} resources in {time.monotonic() - started:.1f}s")
    data = write(result, stack, out, reveal=reveal, protect=[project.directory])
    progress(
        f"wrote {sum(data['kinds'].values())} objects and the graph to {out}; "
        f"{len(result.findings)} finding(s), {len(errors(result.findings))} error(s)"
    )
    return result
