"""Stopping a run cleanly on SIGINT or SIGTERM.

The first signal stops new work (no job is created after it), lets the run delete the jobs it
created and write its report marked incomplete, and the process exits 128 + the signal number
(130 for Ctrl-C, 143 for SIGTERM). A second signal exits at once: the user has asked twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """A stop signal arrived. A KeyboardInterrupt, so that pytest sessions end their run."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@dataclass
class StopRequest:
    """Which signal asked the run to stop (``None``: none yet)."""

    signum: int | None = None

    @property
    def exit_code(self) -> int | None:
        return None if self.signum is None else 128 + self.signum

    def raise_if_stopped(self) -> None:
        """Raise ``RunInterrupted`` when a signal arrived (a pytest session that caught the
        interrupt returns normally; the run must not go on to the next phase)."""
        if self.signum is not None:
            raise RunInterrupted(self.signum)


@contextlib.contextmanager
def stop_on_signals(on_first: Callable[[], None]) -> Iterator[StopRequest]:
    """Within the block, the first SIGINT/SIGTERM calls ``on_first`` (stop creating jobs) and
    raises ``RunInterrupted`` in the main thread; a second one ends the process at once.

    Outside the main thread (a library caller), signals are left alone.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if request.signum is not None:
            print("stopped at once (second signal); no report written", file=sys.stderr)
            os._exit(128 + signum)
        request.signum = signum
        print(
            f"{signal.Signals(signum).name}: stopping; deleting created jobs and writing the "
            "report (signal again to quit at once)",
            file=sys.stderr,
        )
        on_first()
        raise RunInterrupted(signum)

    previous = {s: signal.signal(s, handle) for s in SIGNALS}
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
