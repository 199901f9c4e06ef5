"""One isolated mock run: a fresh event loop, a fresh root stack, recording mocks, config."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings
from pulumi.runtime.stack import wait_for_rpcs

from mesh_https.testing._mocks import MeshMocks, RecordingMonitor
from mesh_https.testing._recording import Recording

T = TypeVar("T")


@dataclass(frozen=True)
class Resolved(Generic[T]):
    """An Output's value once the mocks have run, and whether it was known and secret."""

    value: T
    known: bool
    secret: bool


def _forget_pending_work() -> None:
    # Outputs and RPCs of an earlier session belong to its (closed) loop.
    settings.SETTINGS.outputs.clear()
    settings.SETTINGS.rpc_manager.clear()


class MockSession:
    """A mock Pulumi engine for one test or one synth run.

    Creating it gives the runtime a new event loop, a new root stack, :class:`MeshMocks`
    (or yours) behind a recording monitor, and the given stack config. Construct resources,
    then call :meth:`settle` and read :attr:`recording`. :meth:`close` releases the loop.

    ``config`` maps full keys (``"project:key"``) to values; non-strings are stored as JSON,
    as ``pulumi config set --path`` would. Keys in ``secret_keys`` read back as secrets.
    """

    def __init__(
        self,
        mocks: pulumi.runtime.Mocks | None = None,
        *,
        project: str = "project",
        stack: str = "stack",
        config: Mapping[str, Any] | None = None,
        secret_keys: list[str] | None = None,
        preview: bool = False,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self._failed = False
        _forget_pending_work()
        self.mocks = mocks or MeshMocks()
        self.recording = Recording()
        self.monitor = RecordingMonitor(self.mocks, self.recording)
        settings.set_root_resource(None)  # type: ignore[arg-type]
        pulumi.runtime.set_mocks(self.mocks, project, stack, preview, monitor=self.monitor)
        runtime_config.set_all_config(
            {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in (config or {}).items()
            },
            secret_keys or [],
        )

    def settle(self) -> Recording:
        """Run the loop until every registration and Output is done; errors surface here.

        When something fails, the work still pending is run to its end before the error is
        raised, so :attr:`recording` then holds every registration the program would have
        sent, and "nothing that uses the bad value was registered" can be asserted on it.
        """
        try:
            self.loop.run_until_complete(wait_for_rpcs())
        except BaseException:
            self._failed = True
            self._finish_pending()
            raise
        return self.recording

    def _finish_pending(self, budget_seconds: float = 30.0) -> None:
        deadline = time.monotonic() + budget_seconds
        while time.monotonic() < deadline:
            pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
            if not pending:
                return
            self.loop.run_until_complete(
                asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))
            )

    def resolve(self, output: pulumi.Input[T]) -> Resolved[T]:
        """The value of ``output`` (settling first), with its known and secret flags."""
        out = pulumi.Output.from_input(output)
        self.settle()

        async def read() -> Resolved[T]:
            value = await out.future(with_unknowns=True)
            known = await out.is_known()
            secret = await out.is_secret()
            return Resolved(value, known, secret)  # type: ignore[arg-type]

        return self.loop.run_until_complete(read())

    def value(self, output: pulumi.Input[T]) -> T:
        """Just the value of ``output``."""
        return self.resolve(output).value

    def exports(self) -> dict[str, Any]:
        """The stack's exports (``pulumi.export``), resolved."""
        return {key: resolved.value for key, resolved in self.resolved_exports().items()}

    def resolved_exports(self) -> dict[str, Resolved[Any]]:
        """The stack's exports with their known and secret flags."""
        root = settings.get_root_resource()
        outputs = getattr(root, "outputs", {}) or {}
        return {key: self.resolve(out) for key, out in sorted(outputs.items())}

    def close(self) -> None:
        """Cancel what is still pending, then release the event loop and the root stack."""
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        _forget_pending_work()
        settings.set_root_resource(None)  # type: ignore[arg-type]
        self.loop.close()
        asyncio.set_event_loop(None)
        if self._failed:
            # Futures of a failed registration die with the loop, their errors already raised
            # by settle(). Don't let them report again when they are freed: that can happen
            # inside unrelated code (CPython 3.11's compile() then fails with "AST constructor
            # recursion depth mismatch"), so they are quietened and freed now.
            self.loop.set_exception_handler(lambda _loop, _context: None)
            gc.collect()

    def __enter__(self) -> MockSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(
    program: Callable[[], object],
    mocks: pulumi.runtime.Mocks | None = None,
    **session_args: Any,
) -> tuple[Recording, dict[str, Any]]:
    """Run ``program`` under fresh mocks; return what it registered and what it exported.

    ``session_args`` go to :class:`MockSession` (``project``, ``stack``, ``config``, …).
    An exception in the program, or in any Output it created, is raised here.
    """
    with MockSession(mocks, **session_args) as session:
        program()
        recording = session.settle()
        return recording, session.exports()
