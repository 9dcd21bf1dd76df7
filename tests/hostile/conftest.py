"""Fixtures: a hostile server and a second loopback origin that records what reaches it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import HostileServer, running_hostile


@pytest.fixture(scope="module")
def other_origin() -> Iterator[HostileServer]:
    """A second origin (another port); a redirect there must arrive without credentials."""
    with running_hostile() as server:
        yield server


@pytest.fixture(scope="module")
def hostile(other_origin: HostileServer) -> Iterator[HostileServer]:
    """The hostile server, its ``redirect-other`` pointing at ``other_origin``."""
    with running_hostile() as server:
        server.redirect_target = other_origin.url("ok") + "/videos/video_hostile1/content"
        yield server
