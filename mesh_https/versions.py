"""The pinned versions and where they come from, in one place; and the version policy.

``ISTIO_VERSION`` is the Istio release every chart is installed at unless a component is told
otherwise. It is the newest 1.31 patch when it was pinned: the tagged releases of the
``istio.io/api`` module (tagged at every Istio release; ``go list -m -versions istio.io/api``)
show 1.31.4 (tagged 2026-10-21), beside 1.32.0 (2026-10-21) and 1.30.8. 1.31 stays the default
while 1.32 is new. 1.32 installs too: the test suite checks the values passed against each
current minor's charts (for 1.32, read on Istio's 1.32 development line, as no 1.32 release
chart was at hand; ``tests/data/istio-chart-values/1.32``), and they read the same keys.

The Istio API objects the package emits are validated in the test suite by a real
kube-apiserver holding the CRDs of the pinned release (:data:`ISTIO_VERSION`, from the
``istio.io/api`` module), and also against the older CRD schemas of **Istio 1.29**
(:data:`ISTIO_SCHEMA_VERSION`, from the npm package ``@kubernetes-models/istio``), which
bound them from below: Istio's ``v1`` APIs change only by adding fields, so an object valid
for 1.29 is valid for 1.30, the oldest minor the package installs, whose CRDs the server lacks.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

ISTIO_VERSION = "1.31.4"
"""Istio release for all charts (base, istiod, gateway, cni, ztunnel)."""

NEWEST_PATCH: dict[tuple[int, int], str] = {
    (1, 30): "1.30.8",
    (1, 31): "1.31.4",
    (1, 32): "1.32.0",
}
"""The newest patch of each recent minor, from the tagged releases of ``istio.io/api`` seen by
2026-12-01 (the README's version table shows the same). A minor with no end of support in
:data:`END_OF_SUPPORT` is a current one."""

ISTIO_CHART_REPOSITORY = "https://blob.istio.io/istio-release/charts"
"""Istio's Helm repository, which holds every version (istio.io blog "An update on our move
to AWS", 2026-08-21). The former ``istio-release.storage.googleapis.com`` bucket is removed in
December 2026 and never held 1.31."""

ISTIO_OCI_REPOSITORY = "oci://ghcr.io/istio/release/charts"
"""The same charts as OCI artifacts; give it as ``chart_repository`` to install from there."""

ISTIO_IMAGE_HUB = "docker.io/istio"
"""Where Istio's images are published from 1.31 on. 1.30's charts default to
``registry.istio.io``, retired in December 2026, so the hub is always passed explicitly."""

ISTIO_SCHEMA_VERSION = "1.29.2"
"""The older Istio release whose CRD schemas (npm) bound the emitted objects from below; the
pinned release's real CRDs are checked by a real API server."""

MIN_V1_API_MINOR = (1, 22)
"""The first Istio minor whose CRDs serve ``networking.istio.io/v1`` and
``security.istio.io/v1``, the API versions every object here is emitted at."""

END_OF_SUPPORT: dict[tuple[int, int], dt.date] = {
    # Istio supports a minor until six weeks after the minor two releases later ships
    # (istio.io/docs/releases/supported-releases/). 1.27-1.29 are the dates Istio's own
    # end-of-life notices announce (istio.io/news/support/announcing-1.NN-eol/).
    (1, 27): dt.date(2026, 3, 30),
    (1, 28): dt.date(2026, 6, 28),
    (1, 29): dt.date(2026, 10, 12),
    # Derived, not announced: six weeks after 1.32.0, whose istio.io/api tag is dated
    # 2026-10-21. 1.31 and 1.32 have no date yet: they end six weeks after 1.33 and 1.34.
    (1, 30): dt.date(2026, 12, 2),
}
"""End of support per minor, for the warning on old versions. A minor older than the oldest
listed ended before it; a newer one is current."""

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-(?:rc|beta)\.(\d+))?$")


@dataclass(frozen=True, order=True)
class IstioVersion:
    """A parsed Istio release: ``X.Y.Z``, ``X.Y.Z-rc.N`` or ``X.Y.Z-beta.N``."""

    major: int
    minor: int
    patch: int

    @property
    def minor_version(self) -> tuple[int, int]:
        """``(major, minor)``."""
        return (self.major, self.minor)


def parse_istio_version(version: str) -> IstioVersion | None:
    """The version's numbers, or ``None`` if it is not a plain release or a pre-release."""
    match = _VERSION.match(version)
    if match is None:
        return None
    return IstioVersion(int(match[1]), int(match[2]), int(match[3]))


def version_problem(version: str) -> str | None:
    """Why ``version`` cannot be installed by this package, or ``None`` if it can."""
    parsed = parse_istio_version(version)
    if parsed is None:
        return (
            f"is {version!r}; it must be an Istio release like {ISTIO_VERSION!r} "
            "(or a pre-release like '1.31.0-rc.0' or '1.31.0-beta.1')"
        )
    if parsed.minor_version < MIN_V1_API_MINOR:
        low = ".".join(map(str, MIN_V1_API_MINOR))
        return (
            f"is {version!r}, older than {low}: its CRDs lack the networking.istio.io/v1 and "
            f"security.istio.io/v1 APIs this package emits. Use {low} or later "
            f"(supported today: {ISTIO_VERSION})"
        )
    return None


def support_warning(version: str, today: dt.date | None = None) -> str | None:
    """A warning for a minor past its end of support, or ``None``."""
    parsed = parse_istio_version(version)
    if parsed is None:
        return None
    today = today or dt.date.today()
    minor = parsed.minor_version
    oldest = min(END_OF_SUPPORT)
    if minor < oldest:
        ended = f"ended before {END_OF_SUPPORT[oldest].isoformat()}"
    elif minor in END_OF_SUPPORT and today > END_OF_SUPPORT[minor]:
        ended = f"ended {END_OF_SUPPORT[minor].isoformat()}"
    else:
        return None
    return (
        f"Istio {version} is past its end of support ({minor[0]}.{minor[1]} {ended}); it "
        f"gets no security fixes. Upgrade to {ISTIO_VERSION} (the README's 'Upgrading Istio')."
    )
