"""Property: whatever a user passes for any input of any public component, the only error that
escapes is ``ValidationError``, and when it does, nothing was registered.

Hypothesis puts random values (of every JSON-ish shape, and Outputs) into one field of a valid
set of args at a time. Runs are derandomized so CI is repeatable; set
``MESH_HTTPS_PROPERTY_EXAMPLES`` to search harder locally.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input_catalogue import BASE, COMPONENTS

import mesh_https as m
from mesh_https import ValidationError, contract
from mesh_https.testing import MockSession

ARGS_TYPES = {
    "IstioInstall": m.IstioInstallArgs,
    "HttpsGateway": m.HttpsGatewayArgs,
    "CanaryRoute": m.CanaryRouteArgs,
    "StrictMtls": m.StrictMtlsArgs,
    "MeshNamespace": m.MeshNamespaceArgs,
    "CertificateAuthority": m.CertificateAuthorityArgs,
    "KindCluster": m.KindClusterArgs,
    "ExistingCluster": m.ExistingClusterArgs,
}
# Inputs whose value is a path the component opens, or resources: covered by the catalogue.
SKIP = {("ExistingCluster", "kubeconfig_path"), ("ExistingCluster", "kubeconfig")}
FIELDS = [
    (component, field)
    for component, args_type in ARGS_TYPES.items()
    for field in contract.field_types(args_type)
    if (component, field) not in SKIP
]
EXAMPLES = int(os.environ.get("MESH_HTTPS_PROPERTY_EXAMPLES", "12"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["false", "no", "demo", "a.example.com", "*", "1.31.4", "TLSV1_1", "ambient", "P224", ""]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=6,
)
# Marks an Output of the drawn value, made inside the example's session.
wrapped = st.one_of(values, values.map(lambda value: ("__output__", value)))


def _materialize(value: Any) -> Any:
    if isinstance(value, tuple) and value[:1] == ("__output__",):
        return pulumi.Output.from_input(value[1])
    return value


@pytest.mark.parametrize(("component", "field"), FIELDS, ids=lambda x: str(x))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="MESH_HTTPS_PROPERTY_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(value=wrapped)
def test_only_validation_errors_escape(component: str, field: str, value: Any) -> None:
    with MockSession() as session:
        args = copy.deepcopy(BASE[component])
        args[field] = _materialize(value)
        try:
            COMPONENTS[component](args)
        except ValidationError:
            assert len(session.settle()) == 0, "refused input must register nothing"
            return
        except Exception as err:
            pytest.fail(f"{component}.{field}={value!r} raised {type(err).__name__}: {err}")
        try:
            session.settle()
        except ValidationError:
            return  # a value input, checked once known
        except Exception as err:
            # Not even wrapped: the SDK wraps a ValueError, and ValidationError is none.
            pytest.fail(f"{component}.{field}={value!r} failed at settle: {err!r}")
