"""The real code-generation tier: Pulumi's own schema binder and SDK generators
(``tools/pulumi-codegen``, built from ``github.com/pulumi/pulumi/pkg/v3`` v3.276.0 by
``scripts/build-pulumi-codegen.sh`` into a cache outside the repository), and the examples
compiled against the SDKs they generate, laid out as ``pulumi package add`` lays them out
(``<project>/sdks/mesh-https``).

Skip policy: where ``go`` (or ``node``/``npm``) is missing, the tests skip saying so, except
under ``CI=true``, where they fail.

The TypeScript example installs from its checked-in ``package-lock.json`` (``npm ci``). The
lock records the generated SDK's own ``package.json`` too, so a change to what the generator
writes there (its version, its dependencies) needs a new lock: generate the SDK into
``examples/typescript-dev/sdks/mesh-https`` (``pulumi-codegen gen tests/golden/provider-schema.json
OUT nodejs`` and copy ``OUT/nodejs`` there, or ``pulumi package add ../../provider``), then
``npm install --package-lock-only --ignore-scripts`` in ``examples/typescript-dev``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from real_tier import build, need

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "golden" / "provider-schema.json"
TS_EXAMPLE = ROOT / "examples" / "typescript-dev"
GO_EXAMPLE = ROOT / "examples" / "go-dev"
LANGUAGES = ("nodejs", "go", "python", "dotnet")
# Where `pulumi package add` puts a package's SDK inside the program's directory.
SDK_DIR = Path("sdks") / "mesh-https"


@functools.cache
def codegen() -> Path:
    """The pulumi-codegen binary, built (or found in the cache) by the build script."""
    return build("build-pulumi-codegen.sh", "Pulumi's schema binder and SDK generators")


@dataclass(frozen=True)
class Checked:
    """What binding a schema gave: the exit code and every diagnostic."""

    returncode: int
    diagnostics: list[dict[str, str]]
    stderr: str

    def summaries(self, severity: str | None = None) -> list[str]:
        """The diagnostics' summaries (of one severity, if given)."""
        return [
            d["summary"] for d in self.diagnostics if severity is None or d["severity"] == severity
        ]


def check(schema: Path) -> Checked:
    """Bind ``schema`` as ``pulumi schema check`` does (metaschema, then binder)."""
    run = subprocess.run(
        [str(codegen()), "check", str(schema)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = run.stdout.strip().splitlines()
    assert lines, f"pulumi-codegen check printed nothing:\n{run.stderr}"
    return Checked(run.returncode, json.loads(lines[-1]), run.stderr)


def generate(schema: Path, out: Path, *languages: str) -> dict[str, list[str]]:
    """Generate the SDKs of ``languages`` (all four when none) into ``out/<language>`` as
    ``pulumi package add`` does; the files written, per language."""
    run = subprocess.run(
        [str(codegen()), "gen", str(schema), str(out), *languages],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"pulumi-codegen gen failed:\n{run.stderr}"
    written: dict[str, list[str]] = json.loads(run.stdout.strip().splitlines()[-1])
    return written


def add_package(example: Path, language: str, project: Path, schema: Path = SCHEMA) -> Path:
    """A copy of ``example`` at ``project`` with the SDK of ``language`` generated into
    ``project/sdks/mesh-https``, as ``pulumi package add ../../provider`` leaves it."""
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("sdks", "node_modules", "bin"))
    generated = project / ".generated"
    generate(schema, generated, language)
    (project / SDK_DIR).parent.mkdir(parents=True)
    shutil.move(generated / language, project / SDK_DIR)
    shutil.rmtree(generated)
    return project


@dataclass(frozen=True)
class Compiled:
    """A compiler's exit code and everything it printed."""

    returncode: int
    output: str


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Compiled:
    run = subprocess.run(
        ["nice", "-n", "10", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return Compiled(run.returncode, run.stdout + run.stderr)


def typescript_project(project: Path) -> Path:
    """The TypeScript example ready to type-check: SDK generated, packages installed from the
    checked-in lock (no install scripts: the kubernetes package's would fetch a plugin), and
    the SDK built with its own build step, as its postinstall does."""
    need("node", "tsc type-checks the TypeScript example")
    npm = need("npm", "it installs the TypeScript example's packages from its lock")
    add_package(TS_EXAMPLE, "nodejs", project)
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    installed = _run([npm, "ci", "--ignore-scripts", *quiet], project)
    assert installed.returncode == 0, f"npm ci failed:\n{installed.output}"
    sdk = project / SDK_DIR
    built = _run([npm, "run", "--silent", "postinstall"], sdk)
    assert built.returncode == 0, f"building the generated SDK failed:\n{built.output}"
    return project


def tsc(project: Path, *programs: str) -> Compiled:
    """``tsc --noEmit`` on ``programs`` (the example's ``index.ts`` when none) with the
    example's own compiler options. Each error line starts with its file's name."""
    files = list(programs) or ["index.ts"]
    config = project / f"tsconfig.{'-'.join(Path(f).stem for f in files)}.json"
    config.write_text(json.dumps({"extends": "./tsconfig.json", "files": files}))
    compiler = str(project / "node_modules" / ".bin" / "tsc")
    return _run([compiler, "--noEmit", "--pretty", "false", "-p", str(config)], project)


def _go_env() -> dict[str, str]:
    # The checked-in go.mod and go.sum must be complete: nothing is added on the fly.
    return {"GOFLAGS": "-mod=readonly", "GOWORK": "off", "GOTOOLCHAIN": "local"}


def go_project(project: Path) -> Path:
    """The Go example with its SDK generated, as ``pulumi package add`` leaves it."""
    need("go", "it builds and vets the Go example")
    return add_package(GO_EXAMPLE, "go", project)


def go(project: Path, command: str, package: str = ".") -> Compiled:
    """``go build`` (to nowhere) or ``go vet`` of ``package`` in the project."""
    argv = (
        ["go", "build", "-o", os.devnull, package] if command == "build" else ["go", "vet", package]
    )
    return _run(argv, project, _go_env())


def load_schema() -> dict[str, Any]:
    """The checked-in schema the provider serves."""
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    return loaded
