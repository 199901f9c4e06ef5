"""The plain-output helper the components use for their outputs."""

from __future__ import annotations

import pulumi
import pytest

from mesh_https._values import known
from mesh_https.testing import MockSession


@pytest.mark.parametrize("preview", [False, True])
def test_known_is_one_known_plain_output_in_preview_and_update(preview: bool) -> None:
    table = [{"name": "default", "to": {"v1": 90, "v2": 10}}]
    with MockSession(preview=preview) as session:
        out = known(table)
        resolved = session.resolve(out)
        assert (resolved.value, resolved.known, resolved.secret) == (table, True, False)
        assert session.loop.run_until_complete(out.resources()) == set()
        # It composes like any Output.
        assert session.value(out.apply(lambda t: t[0]["to"]["v2"])) == 10
        assert isinstance(out, pulumi.Output)


def test_an_unused_known_output_leaves_nothing_pending(recwarn: pytest.WarningsRecorder) -> None:
    import gc

    with MockSession():
        known({"a": [1, 2]})  # never read: the session closes with it pending
    gc.collect()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]
