"""In-process websockets with a deadline, for the probe and the fuzzer.

A consumer that never finishes used to hang a test until pytest-timeout killed it, with the
test's thread waiting and nothing said about what the event loop waited on. Past the deadline,
this prints where every asyncio task waits and the channel layer's receive state (captured, shown
with the failure), then fails the test.
"""

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

T = TypeVar("T")
DEADLINE_SECONDS = 90.0


def _layer_state() -> str:
    layer = get_channel_layer()
    state = [f"channel layer: {type(layer).__name__}"]
    if hasattr(layer, "receive_count"):
        lock = getattr(layer, "receive_lock", None)
        state.append(
            f"receive_count={layer.receive_count} receive_lock locked={lock.locked() if lock else None}"
        )
        clean = getattr(layer, "receive_clean_locks", None)
        if clean is not None:
            state.append(
                "receive_clean_locks: "
                + repr(
                    {key: (value.locked(), clean.wait_counts.get(key)) for key, value in clean.locks.items()}
                )
            )
        state.append(f"receive_buffer channels: {len(getattr(layer, 'receive_buffer', {}))}")
    return "\n".join(state)


def _await_chain(task: asyncio.Task) -> list[str]:
    """Where a suspended task waits, innermost last (its stack shows only the outermost frame)."""
    lines = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return lines


def _tasks_report() -> str:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        print(f"--- {task!r}", file=out)
        print("\n".join(_await_chain(task)), file=out)
    return out.getvalue()


def run_with_deadline(
    function: Callable[..., Awaitable[T]], *args: Any, what: str, seconds: float = DEADLINE_SECONDS
) -> T:
    """``async_to_sync(function)(*args)``, failing (with the stacks) past ``seconds``."""

    async def guarded() -> T:
        task = asyncio.ensure_future(function(*args))
        done, _ = await asyncio.wait({task}, timeout=seconds)
        if done:
            return task.result()
        report = f"{what}: not finished after {seconds:.0f} s\n{_layer_state()}\n{_tasks_report()}"
        print(report)
        print(report, file=sys.stderr)
        raise AssertionError(report)

    return async_to_sync(guarded)()
