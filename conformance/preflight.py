"""Before a run sends anything billable: does the base URL answer like this API at all, and is
list there (every check may then use it)."""

from __future__ import annotations

import contextlib
import secrets
import sys

from conformance.answers import preflight_hint
from conformance.client import Client, TransportFailure, Unreachable
from conformance.features import FeatureMap


def unanswerable(client: Client) -> str | None:
    """``None`` when the base URL answers like this API, else why the run must not go on (it
    reports that, exit 3, before anything billable is sent).

    Nothing answering stops the run, and so does an answer only a web site gives (a login
    redirect, or 2xx HTML for a video that cannot exist). A provider that answers with broken
    HTTP, or an error page in HTML, is reachable: the checks judge that like any other answer.
    """
    try:
        response = client.retrieve(f"video_vcreachability{secrets.token_hex(4)}")
    except Unreachable as exc:
        return f"target unreachable: {exc}"
    except TransportFailure:
        return None
    hint = preflight_hint(response)
    if hint is None:
        return None
    web_page = response.ok or any("login" in hop.to_url.lower() for hop in response.redirects)
    if web_page:
        return f"the base URL does not answer like the video API: {hint}"
    print(f"warning: {hint}", file=sys.stderr)
    return None


def discover_list(client: Client, features: FeatureMap) -> None:
    """One free GET /videos, so that every check knows from the start whether list is there
    (the auth and object checks use it when it is; the list checks judge it either way)."""
    if features.state("list") != "untested":
        return
    with contextlib.suppress(TransportFailure):
        features.observe("list", client.list_videos(limit=1), "GET /videos?limit=1")
