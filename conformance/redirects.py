"""Redirects followed by hand, with the credentials dropped at a hop to another origin.

httpx's own following is off: it would carry the key to wherever a ``Location`` points. Here a
same-origin hop keeps the credentials; a cross-origin hop drops every credential header
(``Authorization``, ``x-api-key``, ``api-key``, ``Cookie``, and any header carrying the key);
only http(s) is followed; loops and chains longer than ``MAX_REDIRECTS`` are refused. Every hop
is recorded (``RedirectHop``) so a check can tell "served" from "redirected".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from conformance.answers import ProviderFault, RedirectHop, Response, Unreachable
from conformance.redact import CREDENTIAL_HEADERS, redact_text
from conformance.report.model import Exchange

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


SendOnce = Callable[
    [str, str, dict[str, str], bytes | None, dict[str, Any] | None, Mapping[str, str | int] | None],
    tuple[httpx.Response, bytes, Exchange],
]
"""Sends one request without following anything: ``(method, url, headers, content, multipart,
params) -> (response, body, exchange)`` (``SingleSender.send`` with the request's deadline and
body cap bound)."""


def follow(
    send: SendOnce,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    content: bytes | None,
    multipart: dict[str, Any] | None,
    params: Mapping[str, str | int] | None,
    api_key: str,
    follow_redirects: bool,
) -> Response:
    """Send the request with ``send`` and, when ``follow_redirects``, follow its redirects
    safely; the final answer carries every exchange and hop on the way.

    ``params`` go with the first request only (a ``Location`` carries its own query); a 303, or
    a 301/302 after a POST, continues as a GET without the body.
    Raises ``ProviderFault`` for an unsafe, looping or too long chain, or a hop to a dead URL.
    """
    send_headers = dict(headers)
    exchanges: list[Exchange] = []
    hops: list[RedirectHop] = []
    current_method = method
    seen = {(method, url)}
    while True:
        try:
            response, body, exchange = send(
                current_method, url, send_headers, content, multipart, params
            )
        except Unreachable as exc:
            if not hops:
                raise
            # The target answered and sent us somewhere dead: the provider's failure.
            raise ProviderFault(f"redirected to an unreachable URL: {exc}", exc.exchange) from None
        exchanges.append(exchange)
        location = response.headers.get("location")
        if not (follow_redirects and response.status_code in REDIRECT_STATUSES and location):
            break
        next_url = _redirect_target(str(response.url), location, exchange)
        if len(hops) >= MAX_REDIRECTS:
            raise ProviderFault(
                f"{current_method} {url}: more than {MAX_REDIRECTS} redirects", exchange
            )
        cross = _origin(next_url) != _origin(url)
        dropped = False
        if cross:
            for name in [h for h in send_headers if _is_credential(h, send_headers[h], api_key)]:
                del send_headers[name]
                dropped = True
        hops.append(
            RedirectHop(
                response.status_code, redact_text(url), redact_text(next_url), cross, dropped
            )
        )
        if response.status_code == 303 or (
            response.status_code in (301, 302) and current_method == "POST"
        ):
            current_method, content, multipart = "GET", None, None
            send_headers.pop("Content-Type", None)
        if (current_method, next_url) in seen:
            raise ProviderFault(
                f"{current_method} {url}: redirect loop back to {next_url}", exchange
            )
        seen.add((current_method, next_url))
        url, params = next_url, None
    return Response(
        method=current_method,
        url=redact_text(str(response.url)),  # a signed CDN URL may carry the key
        status=response.status_code,
        headers=response.headers,
        content=body,
        exchange=exchanges[-1],
        exchanges=exchanges,
        redirects=hops,
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def _is_credential(name: str, value: str, api_key: str) -> bool:
    """A header that must not leave the target's origin: a credential header by name, or
    any header carrying the key."""
    return name.lower() in CREDENTIAL_HEADERS or bool(api_key and api_key in value)


def _redirect_target(current: str, location: str, exchange: Exchange) -> str:
    """The absolute URL a ``Location`` points to; only http(s) may be followed."""
    try:
        next_url = urljoin(current, location.strip())
        scheme = urlsplit(next_url).scheme.lower()
        host = urlsplit(next_url).hostname
    except ValueError:
        raise ProviderFault(f"redirect to an unparsable Location {location!r}", exchange) from None
    if scheme not in ("http", "https") or not host:
        raise ProviderFault(f"unsafe redirect to {location!r} (only http(s) is followed)", exchange)
    return next_url
