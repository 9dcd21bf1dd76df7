"""Error kinds that map onto the documented exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2
EXIT_HARNESS = 3


class UsageError(Exception):
    """Bad flags, a bad profile or a missing secret: one line to the user, exit 2."""


class HarnessError(Exception):
    """The tool itself or the network broke (not the vendor's fault): exit 3."""
