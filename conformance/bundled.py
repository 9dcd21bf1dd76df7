"""The bundled reference provider, started for a run whose target is ``bundled``.

Its settings are the run's choice, not the contract's: a short content lifetime so the expiry
check finishes within the run, enough render slots that the run's jobs never queue.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import threading
from collections.abc import Callable, Iterator

from conformance.config import Target
from conformance.provider.behaviour import Behaviour
from conformance.redact import register_secret

BUNDLED_TTL_S = 3
"""Content expiry of the bundled provider: short, so the expiry check runs within the run."""
BUNDLED_TTL_UNHINTED_S = 20
"""Content expiry when the provider sends no usable ``openai-poll-after-ms`` (vendor dialects,
a malformed hint): the pool then backs off up to 8 s between polls, so it may see a completion
that much later."""
BUNDLED_TTL_FUZZ_EXTRA_S = 12
"""Added to the content expiry of the bundled provider when the property phase runs: against
the bundled provider the phase reads the completed job's 200 paths as soon as the job completes
(``pinned_first``), which takes a few seconds, and the content must still be there; it then
expires while the rest of the phase runs, so the expiry check has little left to wait."""


@contextlib.contextmanager
def bundled_provider(
    target: Target,
    *,
    behaviour: Behaviour | None = None,
    render_seconds: float = 3.0,
    fuzz: bool = False,
    release: list[Callable[[], None]] | None = None,
) -> Iterator[Target]:
    """Start the reference provider for a bundled target; yield the target pointing at it.

    When ``release`` is given, a function is appended to it that starts stopping the provider
    in the background once nothing more will be sent to it (the report is then written while
    the provider shuts down); leaving the block waits for the stop either way.
    """
    if not target.bundled:
        yield target
        return
    from conformance.provider.config import ProviderConfig
    from conformance.provider.server import Provider

    key = "vc-" + secrets.token_urlsafe(24)
    register_secret(key)
    behaviour = behaviour or Behaviour()
    hinted = behaviour.poll_after_ms is not None and behaviour.poll_after_raw is None
    ttl = BUNDLED_TTL_S if hinted else BUNDLED_TTL_UNHINTED_S
    config = ProviderConfig(
        render_seconds=render_seconds,
        ttl_seconds=ttl + BUNDLED_TTL_FUZZ_EXTRA_S if fuzz else ttl,
        api_key=key,
        behaviour=behaviour,
        # Enough renders in flight that the run's few jobs never queue behind each other.
        max_concurrent_renders=8,
        queue_limit=64,
    )
    provider = Provider(config)
    provider.start()
    # Released once nothing more will be sent to it: the HTTP server is not drained.
    stopper = threading.Thread(
        target=lambda: provider.stop(drain=False), name="provider-stop", daemon=True
    )
    if release is not None:
        release.append(lambda: None if stopper.ident else stopper.start())
    try:
        yield dataclasses.replace(target, base_url=provider.base_url, api_key=key)
    finally:
        if stopper.ident is None:
            provider.stop()
        else:
            stopper.join()
