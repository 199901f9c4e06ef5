"""Keeping Istio current: where charts and images come from, the version policy, canary
upgrades by revision tag, and a CA rotation that restarts istiod."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pulumi
import pytest
from conftest import plugged_ca_files

from mesh_https import IstioInstall, ValidationError, istio_install, versions
from mesh_https.istio_charts import CACERTS_ANNOTATION, CONTROL_PLANE_ANNOTATION
from mesh_https.testing import MockSession, RecordedResource, Recording

RELEASE = "kubernetes:helm.sh/v3:Release"
TAG_WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"
PINNED = versions.ISTIO_VERSION
NEW = PINNED.replace(".", "-")
"""The upgrade's new revision, named after the pinned release (its dots made dashes)."""


def install(**args: Any) -> Recording:
    """Run one IstioInstall in a fresh session and return what it registered."""
    with MockSession() as session:
        IstioInstall("istio", args)  # type: ignore[arg-type]
        return session.settle()


def releases(rec: Recording) -> dict[str, RecordedResource]:
    """Releases by Helm release name."""
    return {r.inputs["name"]: r for r in rec.find(RELEASE)}


# ------------------------------------------------------------------ charts and images


def test_default_charts_come_from_istios_new_home_at_the_pinned_release() -> None:
    assert versions.ISTIO_CHART_REPOSITORY == "https://blob.istio.io/istio-release/charts"
    assert versions.parse_istio_version(versions.ISTIO_VERSION) is not None
    assert versions.ISTIO_VERSION.startswith("1.31.")
    rec = install(mode="ambient")
    for r in rec.find(RELEASE):
        assert r.inputs["repositoryOpts"] == {"repo": versions.ISTIO_CHART_REPOSITORY}
        assert r.inputs["chart"] in ("base", "istiod", "cni", "ztunnel", "gateway")
        assert r.inputs["version"] == versions.ISTIO_VERSION


def test_oci_repository_puts_the_registry_path_in_the_chart() -> None:
    rec = install(mode="ambient", chart_repository="oci://ghcr.io/istio/release/charts/")
    charts = {r.inputs["chart"] for r in rec.find(RELEASE)}
    assert charts == {
        f"oci://ghcr.io/istio/release/charts/{c}"
        for c in ("base", "istiod", "cni", "ztunnel", "gateway")
    }
    for r in rec.find(RELEASE):
        assert "repositoryOpts" not in r.inputs, "an OCI chart has no repositoryOpts.repo"


@pytest.mark.parametrize(
    ("repository", "chart", "repo"),
    [
        ("https://charts.corp.example/istio", "istiod", "https://charts.corp.example/istio"),
        (
            "oci://registry.corp.example/mirror/istio",
            "oci://registry.corp.example/mirror/istio/istiod",
            None,
        ),
    ],
)
def test_private_mirror_takes_credentials_and_keeps_the_password_secret(
    repository: str, chart: str, repo: str | None
) -> None:
    rec = install(
        chart_repository=repository,
        chart_repository_auth={"username": "ci", "password": "hunter2", "ca_file": "/etc/ca.pem"},
    )
    istiod = releases(rec)["istiod"]
    assert istiod.inputs["chart"] == chart
    opts = istiod.inputs["repositoryOpts"]
    assert opts.get("repo") == repo
    assert (opts["username"], opts["password"], opts["caFile"]) == ("ci", "hunter2", "/etc/ca.pem")
    assert istiod.is_secret("repositoryOpts", "password")
    assert rec.plaintext_private_keys() == []


def test_every_chart_that_pulls_images_gets_the_hub() -> None:
    rec = releases(install(mode="ambient"))
    for name in ("istiod", "istio-cni", "ztunnel"):
        assert rec[name].inputs["values"]["global"]["hub"] == "docker.io/istio", name
    assert rec["ztunnel"].inputs["values"]["hub"] == "docker.io/istio"
    # The gateway's image is "auto": istiod's injection fills it in from istiod's hub.
    assert "hub" not in rec["istio-ingress"].inputs["values"]
    assert "global" not in rec["istio-ingress"].inputs["values"]
    mirrored = releases(install(mode="ambient", image_hub="registry.corp.example:5000/istio"))
    for name in ("istiod", "istio-cni", "ztunnel"):
        assert (
            mirrored[name].inputs["values"]["global"]["hub"] == "registry.corp.example:5000/istio"
        )


def test_cni_is_not_given_the_namespace_it_never_reads() -> None:
    cni = releases(install(mode="ambient"))["istio-cni"]
    assert "istioNamespace" not in cni.inputs["values"].get("global", {})


# ------------------------------------------------------------------ version policy


@pytest.mark.parametrize(
    "version", [PINNED, "1.32.0", "1.30.5", "1.30.8", "1.31.0-rc.0", "1.32.0-beta.1", "1.22.0"]
)
def test_installable_versions(version: str) -> None:
    assert versions.version_problem(version) is None


@pytest.mark.parametrize(
    ("version", "words"),
    [
        ("1.31", "must be an Istio release"),
        (f"v{PINNED}", "must be an Istio release"),
        (f"{PINNED}-alpha.0", "must be an Istio release"),
        ("1.31.x", "must be an Istio release"),
        ("latest", "must be an Istio release"),
        ("1.21.6", "networking.istio.io/v1"),
        ("1.9.9", "networking.istio.io/v1"),
    ],
)
def test_version_policy_refuses_before_anything_is_registered(
    mesh_session: MockSession, version: str, words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        IstioInstall("istio", {"version": version})
    assert err.value.field == "version"
    assert words in str(err.value)
    with pytest.raises(ValidationError) as err:
        IstioInstall("istio", {"revisions": [{"name": "old", "version": version}]})
    assert err.value.field == "revisions[0].version"
    assert len(mesh_session.settle()) == 0


def test_support_table_warns_past_the_end_of_support_only() -> None:
    day = dt.date(2026, 11, 26)
    assert versions.support_warning(PINNED, day) is None
    assert versions.support_warning("1.30.5", day) is None
    warning = versions.support_warning("1.29.8", day)
    assert warning is not None and "ended 2026-10-12" in warning
    assert "before 2026-03-30" in (versions.support_warning("1.26.2", day) or "")
    assert versions.support_warning("1.29.8", dt.date(2026, 10, 12)) is None


def test_the_pin_is_the_newest_patch_of_its_minor() -> None:
    parsed = versions.parse_istio_version(PINNED)
    assert parsed is not None
    assert versions.NEWEST_PATCH[parsed.minor_version] == PINNED
    assert parsed.minor_version not in versions.END_OF_SUPPORT, "the default must be supported"


def test_1_30_ends_six_weeks_after_1_32_0() -> None:
    # Derived from the istio.io/api v1.32.0 tag (2026-10-21), not from an announced date.
    assert versions.END_OF_SUPPORT[(1, 30)] == dt.date(2026, 10, 21) + dt.timedelta(weeks=6)
    assert versions.END_OF_SUPPORT[(1, 30)] == dt.date(2026, 12, 2)


@pytest.mark.parametrize("version", ["1.30.8", "1.30.5", "1.30.0"])
def test_1_30_warns_after_2026_12_02_and_not_before(version: str) -> None:
    assert versions.support_warning(version, dt.date(2026, 12, 2)) is None
    warning = versions.support_warning(version, dt.date(2026, 12, 3))
    assert warning is not None
    assert f"Istio {version} is past its end of support (1.30 ended 2026-12-02)" in warning
    assert f"Upgrade to {PINNED}" in warning


@pytest.mark.parametrize("version", [PINNED, "1.31.0", "1.32.0", "1.32.0-rc.0"])
@pytest.mark.parametrize("day", [dt.date(2026, 12, 3), dt.date(2026, 12, 4), dt.date(2027, 3, 1)])
def test_1_31_and_1_32_do_not_warn(version: str, day: dt.date) -> None:
    # No end date yet: they end six weeks after 1.33 and 1.34 ship.
    assert versions.support_warning(version, day) is None


def test_the_upgrade_from_1_30_still_installs_and_warns_about_1_30_only(
    mesh_session: MockSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: said.append(message))
    on = dt.date(2026, 12, 4)
    monkeypatch.setattr(istio_install, "support_warning", lambda v: versions.support_warning(v, on))
    IstioInstall("istio", revisions("old"))  # type: ignore[arg-type]
    names = sorted(r.inputs["name"] for r in mesh_session.settle().find(RELEASE))
    assert names == ["istio-base", "istio-ingress", "istiod-1-30-5", f"istiod-{NEW}"]
    assert len(said) == 1
    assert (
        "IstioInstall: Istio 1.30.5 is past its end of support (1.30 ended 2026-12-02)" in (said[0])
    )


def test_the_readme_version_table_matches_the_version_policy() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("| Istio minor | newest patch", 1)[1].split("\n\n", 1)[0]
    rows = {
        cells[0].split()[0]: cells[1:]
        for line in table.splitlines()
        if (cells := [c.strip() for c in line.strip("|").split("|")])[0][:1].isdigit()
    }
    assert sorted(rows) == sorted(f"{a}.{b}" for a, b in versions.NEWEST_PATCH)
    for (major, minor), patch in versions.NEWEST_PATCH.items():
        newest, ends = rows[f"{major}.{minor}"]
        assert newest == patch
        if (major, minor) in versions.END_OF_SUPPORT:
            assert ends.startswith(versions.END_OF_SUPPORT[(major, minor)].isoformat())
        else:
            assert ends == f"six weeks after {major}.{minor + 2}.0"
    pinned = versions.parse_istio_version(PINNED)
    assert pinned is not None
    assert f"| {pinned.major}.{pinned.minor} (the default) | {PINNED} |" in table


def test_an_unsupported_version_is_installed_with_a_warning(
    mesh_session: MockSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: said.append(message))
    IstioInstall("istio", {"version": "1.28.3"})
    assert len(mesh_session.settle().find(RELEASE)) == 3
    assert len(said) == 1 and "IstioInstall: Istio 1.28.3 is past its end of support" in said[0]
    said.clear()
    IstioInstall("current", {"version": versions.ISTIO_VERSION})
    assert said == []


# --------------------------------------------------------------- revisions and tags


def revisions(prod: str, *, old: bool = True, new: bool = True) -> dict[str, Any]:
    """The upgrade flow's config: 1-30-5 and/or the pin's revision, tag prod on one."""
    entries = []
    if old:
        entries.append({"name": "1-30-5", "version": "1.30.5", "tags": ["prod"] * (prod == "old")})
    if new:
        entries.append({"name": NEW, "tags": ["prod"] * (prod == "new")})
    return {"revisions": entries, "workload_revision": "prod"}


def test_two_revisions_share_one_base_and_a_tag_points_at_one(mesh_session: MockSession) -> None:
    istio = IstioInstall("istio", revisions("old"))  # type: ignore[arg-type]
    rec = mesh_session.settle()
    by_name = releases(rec)
    assert sorted(by_name) == ["istio-base", "istio-ingress", "istiod-1-30-5", f"istiod-{NEW}"]
    old, new, base = by_name["istiod-1-30-5"], by_name[f"istiod-{NEW}"], by_name["istio-base"]
    assert (old.inputs["version"], new.inputs["version"]) == ("1.30.5", versions.ISTIO_VERSION)
    assert (old.inputs["values"]["revision"], new.inputs["values"]["revision"]) == (
        "1-30-5",
        NEW,
    )
    assert rec.depends_on(old, base) and rec.depends_on(new, base)
    assert base.inputs["values"]["defaultRevision"] == "1-30-5"

    (tag,) = rec.find(TAG_WEBHOOK)
    assert tag.metadata["name"] == "istio-revision-tag-prod"
    assert tag.metadata["labels"]["istio.io/rev"] == "1-30-5"
    assert tag.metadata["labels"]["istio.io/tag"] == "prod"
    services = {w["clientConfig"]["service"]["name"] for w in tag.inputs["webhooks"]}
    assert services == {"istiod-1-30-5"}
    selectors = [w["namespaceSelector"]["matchExpressions"] for w in tag.inputs["webhooks"]]
    assert {"key": "istio.io/rev", "operator": "In", "values": ["prod"]} in selectors[0]
    assert rec.depends_on(tag, old)

    gateway = by_name["istio-ingress"]
    assert gateway.inputs["values"]["revision"] == "prod"
    assert gateway.inputs["values"]["podAnnotations"] == {CONTROL_PLANE_ANNOTATION: "1-30-5"}
    assert rec.depends_on(gateway, tag), "the gateway rolls after its tag has moved"
    assert mesh_session.value(istio.revision) == "prod"
    assert mesh_session.value(istio.control_plane_revision) == "1-30-5"
    assert istio.info.tags == {"prod": "1-30-5"}
    assert istio.info.revisions == ("1-30-5", NEW)


def test_the_default_tag_also_takes_istio_injection_enabled() -> None:
    rec = install(revisions=[{"name": NEW, "tags": ["default"]}])
    (tag,) = rec.find(TAG_WEBHOOK)
    names = [w["name"] for w in tag.inputs["webhooks"]]
    assert names == [
        "rev.namespace.sidecar-injector.istio.io",
        "rev.object.sidecar-injector.istio.io",
        "namespace.sidecar-injector.istio.io",
        "object.sidecar-injector.istio.io",
    ]
    enabled = tag.inputs["webhooks"][2]["namespaceSelector"]["matchExpressions"]
    assert enabled == [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]
    assert releases(rec)["istio-base"].inputs["values"]["defaultRevision"] == NEW


def snapshot(rec: Recording) -> dict[str, dict[str, Any]]:
    return {r.urn: r.inputs for r in rec}


def changed(before: Recording, after: Recording) -> set[str]:
    old, new = snapshot(before), snapshot(after)
    return {urn.rsplit("::", 1)[-1] for urn in old.keys() & new.keys() if old[urn] != new[urn]}


def test_moving_a_tag_updates_the_tag_and_rolls_the_gateway_only() -> None:
    step1, step2 = install(**revisions("old")), install(**revisions("new"))
    assert {r.urn for r in step1} == {r.urn for r in step2}, "nothing is created or deleted"
    assert changed(step1, step2) == {"istio-tag-prod", "istio-gateway", "istio-base"}
    base1, base2 = (releases(s)["istio-base"].inputs["values"] for s in (step1, step2))
    assert (base1["defaultRevision"], base2["defaultRevision"]) == ("1-30-5", NEW)
    tag1, tag2 = (s.one(TAG_WEBHOOK) for s in (step1, step2))
    # Same object (same name, same URN): an in-place update, not a replacement.
    assert tag1.metadata["name"] == tag2.metadata["name"]
    assert tag2.metadata["labels"]["istio.io/rev"] == NEW
    gateway1, gateway2 = (releases(s)["istio-ingress"].inputs for s in (step1, step2))
    assert {k: v for k, v in gateway1.items() if k != "values"} == {
        k: v for k, v in gateway2.items() if k != "values"
    }
    assert gateway2["values"]["podAnnotations"] == {CONTROL_PLANE_ANNOTATION: NEW}
    assert gateway1["values"]["revision"] == gateway2["values"]["revision"] == "prod"


def test_removing_the_old_revision_deletes_its_istiod_only() -> None:
    step2, step4 = install(**revisions("new")), install(**revisions("new", old=False))
    gone = {r.urn for r in step2} - {r.urn for r in step4}
    assert [urn.rsplit("::", 1)[-1] for urn in gone] == ["istio-istiod-1-30-5"]
    assert {r.urn for r in step4} <= {r.urn for r in step2}
    assert changed(step2, step4) == set()


def test_adding_a_revision_next_to_a_single_one_replaces_nothing() -> None:
    single = install(revision="1-30-5", version="1.30.5")
    with MockSession() as session:
        IstioInstall(
            "istio",
            {
                "version": "1.30.5",
                "revisions": [{"name": "1-30-5"}, {"name": NEW, "version": PINNED}],
                "workload_revision": "1-30-5",
            },
        )
        both = session.settle()
    (old,) = [r for r in single.find(RELEASE) if r.inputs["name"] == "istiod-1-30-5"]
    (aliased,) = [r for r in both.find(RELEASE) if r.inputs["name"] == "istiod-1-30-5"]
    # Same resource, same inputs: adding the canary revision leaves the running one alone.
    assert old.urn == aliased.urn
    assert old.inputs == aliased.inputs
    assert {r.urn for r in single} < {r.urn for r in both}
    assert changed(single, both) == set()
    # Stacks made before revisions were named by revision called their istiod `istio-istiod`.
    assert "name=istio-istiod,parent=same" in aliased.options["aliases"]


# --------------------------------------------------------------------- CA rotation


def plugged(intermediate: str) -> dict[str, str]:
    """A plugged-in CA whose intermediate is a real CA certificate named ``intermediate``."""
    return plugged_ca_files(intermediate)


def istiod_annotation(rec: Recording) -> str:
    value: str = releases(rec)["istiod"].inputs["values"]["podAnnotations"][CACERTS_ANNOTATION]
    return value


def test_a_renewed_intermediate_restarts_istiod_and_an_unchanged_ca_does_not() -> None:
    first = install(plugged_ca=plugged("INTERMEDIATE-1"))
    again = install(plugged_ca=plugged("INTERMEDIATE-1"))
    renewed = install(plugged_ca=plugged("INTERMEDIATE-2"))
    assert istiod_annotation(first) == istiod_annotation(again)
    assert istiod_annotation(first) != istiod_annotation(renewed)
    assert changed(first, again) == set()
    assert changed(first, renewed) == {"istio-istiod", "istio-cacerts"}


def test_the_ca_hash_is_plain_and_the_ca_stays_secret() -> None:
    rec = install(plugged_ca=plugged("INTERMEDIATE-1"))
    istiod = releases(rec)["istiod"]
    checksum = istiod_annotation(rec)
    assert len(checksum) == 64 and "INTERMEDIATE" not in checksum
    assert not istiod.is_secret("values"), "a secret values map would hide every diff"
    cacerts = rec.one(kind="Secret", object_name="cacerts")
    assert cacerts.is_secret("stringData")
    assert rec.depends_on(istiod, cacerts)


def test_every_revision_restarts_on_a_new_ca() -> None:
    rec = install(plugged_ca=plugged("I"), **revisions("new"))
    for name in ("istiod-1-30-5", f"istiod-{NEW}"):
        annotations = releases(rec)[name].inputs["values"]["podAnnotations"]
        assert CACERTS_ANNOTATION in annotations
