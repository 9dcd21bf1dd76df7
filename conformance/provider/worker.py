"""A render worker process: renders one job at a time, as told on stdin, and reports on stdout.

Run as ``python -m conformance.provider.worker`` by :mod:`conformance.provider.workers`, never
by hand. The protocol is one JSON object per line. In: ``{"spec": {...}, "out_dir": "..."}``.
Out, per task: ``{"frame": done, "total": n}`` after each encoded frame, then exactly one of
``{"ok": true}``, ``{"abandoned": true}`` (the job's directory went away: it was deleted) or
``{"error": "<exception type>"}``.

The worker exits when its stdin closes or its stdout breaks, which is how a worker notices that
the provider that started it is gone (even after ``kill -9``): at the next frame at the latest.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import IO, Any

NICENESS = 5
"""Renders yield the CPU to the provider's request handling: a poll must not wait for an
encode. Moderate on purpose: the kernel gives a niceness-5 process about a quarter of a core
contended with a normal one, so renders still progress when the machine is busy with other
work (at 10 they all but stopped on a loaded machine, and every job came late)."""


class BadTask(Exception):
    """A line on stdin that is not a render task (the worker was not started by a provider)."""


class _Abandoned(Exception):
    """The job's directory is gone: it was deleted while rendering."""


def _serve(tasks: IO[bytes], out: IO[bytes]) -> None:
    # The encoder library, loaded before the first task rather than during it (the server
    # never loads it: see render.render).
    import av  # noqa: F401

    from conformance.provider.render import RenderSpec, render

    def say(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")
        out.flush()

    for line in tasks:
        try:
            task = json.loads(line)
            fields = dict(task["spec"])
            reference = fields.pop("reference")
            spec = RenderSpec(**fields, reference=None if reference is None else Path(reference))
            out_dir = Path(task["out_dir"])
        except (ValueError, TypeError, KeyError):
            raise BadTask from None

        def on_frame(done: int, total: int, out_dir: Path = out_dir) -> None:
            if not out_dir.is_dir():
                raise _Abandoned
            say({"frame": done, "total": total})

        try:
            render(spec, out_dir, on_frame)
        except _Abandoned:
            say({"abandoned": True})
        except (BrokenPipeError, KeyboardInterrupt):
            raise
        except Exception as exc:  # reported to the provider, which fails the job with it
            if not out_dir.is_dir():
                say({"abandoned": True})
            else:
                say({"error": type(exc).__name__})
        else:
            say({"ok": True})


def main() -> int:
    """Serve render tasks until stdin closes; 0 on a clean end."""
    if hasattr(os, "nice"):
        # Where that is not allowed, render at normal priority.
        with contextlib.suppress(OSError):
            os.nice(NICENESS)
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _serve(sys.stdin.buffer, protocol)
    except BadTask:
        print(
            "render worker: stdin must carry JSON render tasks, one per line "
            "(this program is started by the reference provider)",
            file=sys.stderr,
        )
        return 2
    except (BrokenPipeError, KeyboardInterrupt):
        # The provider is gone: nobody is left to render for. Exit at once, without flushing
        # into the broken pipe again.
        os._exit(0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
