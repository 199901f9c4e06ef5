"""pytest fixture: ``mesh_session``, a fresh :class:`~mesh_https.testing.MockSession` per test.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["mesh_https.testing.pytest_plugin"]``.
Each test gets its own event loop and root stack, so no state leaks from one test to the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mesh_https.testing._session import MockSession


@pytest.fixture
def mesh_session() -> Iterator[MockSession]:
    """A :class:`MockSession` with :class:`MeshMocks`; closed after the test."""
    session = MockSession()
    try:
        yield session
    finally:
        session.close()
