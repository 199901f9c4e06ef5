"""The pinned versions, in one place.

``ISTIO_VERSION`` is the Istio release every chart is installed at unless a component is told
otherwise. The Istio CRD schemas the test suite validates against are for the same release:
change them together.
"""

from __future__ import annotations

ISTIO_VERSION = "1.29.8"
"""Istio release for all charts (base, istiod, gateway, cni, ztunnel)."""

ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
"""The official Istio Helm chart repository."""
