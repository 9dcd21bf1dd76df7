"""Profile TOML + environment + flags → one frozen ``Target``.

Precedence: command-line flags over environment over the profile (found and read by
``profile_file``). Every mistake is a ``UsageError`` with one line that names the culprit.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from conformance import contract
from conformance.budget import BudgetLimits
from conformance.catalog import DECLARABLE_FEATURES
from conformance.errors import UsageError
from conformance.profile_file import PROFILES_DIR, load_profile, profile_path
from conformance.redact import register_secret

AuthStyle = Literal["bearer", "x-api-key", "both"]
AUTH_STYLES: tuple[str, ...] = ("bearer", "x-api-key", "both")
ENCODINGS: tuple[str, ...] = ("json", "multipart")
DEFAULT_KEY_ENV = "VIDEO_API_KEY"

DEFAULT_JOB_TIMEOUT_S = 900.0
DEFAULT_REQUEST_TIMEOUT_S = 60.0
DEFAULT_EXPIRY_WAIT_S = 60.0


@dataclass(frozen=True)
class Target:
    """Everything a run needs to know about the provider under test. Never prints its key."""

    name: str
    base_url: str
    """Includes the version prefix (``.../v1``); paths append ``/videos``."""
    api_key: str = field(repr=False)
    auth: AuthStyle = "bearer"
    create_encodings: tuple[str, ...] = ENCODINGS
    model: str | None = None
    sizes: tuple[str, ...] = (contract.DEFAULT_SIZE,)
    seconds: tuple[str, ...] = (contract.DEFAULT_SECONDS,)
    features: frozenset[str] = frozenset()
    absent_features: frozenset[str] = frozenset()
    """Extended features the profile declares not offered: never exercised, ``unsupported``."""
    extension_seconds: tuple[str, ...] = ()
    extension_sizes: tuple[str, ...] = ()
    failing_prompt: str = ""
    create_status: int | None = None
    budget: BudgetLimits = field(default_factory=BudgetLimits)
    job_timeout_s: float = DEFAULT_JOB_TIMEOUT_S
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    expiry_wait_s: float = DEFAULT_EXPIRY_WAIT_S
    deadline_s: float | None = None
    """The whole run's deadline; ``None``: ``run_deadline_s`` derives it from the job timeout."""
    bundled: bool = False
    """The bundled reference provider: the runner starts it and fills base_url and api_key."""
    fuzz_billable: bool = False
    """The property phase may send creates that would be accepted (and billed)."""
    profile: str | None = None
    """Where the profile came from (bundled name or path), for the report."""

    def __str__(self) -> str:
        return f"{self.name} ({self.base_url or 'bundled reference provider'})"

    def declares(self, feature: str) -> bool:
        """True when the profile claims the extended ``feature``."""
        return feature in self.features

    def denies(self, feature: str) -> bool:
        """True when the profile declares the extended ``feature`` absent (not to be tried)."""
        return feature in self.absent_features

    @property
    def run_deadline_s(self) -> float:
        """Seconds the run may send requests for: ``--deadline``, else 3 x the job timeout
        + 300 s (jobs are created at once and render concurrently, so one job timeout plus the
        suite's own waits, the expiry wait and clean-up fit with room to spare)."""
        if self.deadline_s is not None:
            return self.deadline_s
        return 3 * self.job_timeout_s + 300.0

    @property
    def main_size(self) -> str:
        return self.sizes[0]

    @property
    def main_seconds(self) -> str:
        return self.seconds[0]

    def redacted(self) -> dict[str, Any]:
        """The target as it goes into a report: every setting, never the key."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "profile": self.profile,
            "auth": self.auth,
            "create_encodings": list(self.create_encodings),
            "model": self.model,
            "sizes": list(self.sizes),
            "seconds": list(self.seconds),
            "features": sorted(self.features),
            "absent_features": sorted(self.absent_features),
            "extensions": {
                "seconds": list(self.extension_seconds),
                "sizes": list(self.extension_sizes),
            },
            "failing_prompt": self.failing_prompt,
            "create_status": self.create_status,
            "bundled": self.bundled,
            "timeouts": {
                "job": self.job_timeout_s,
                "request": self.request_timeout_s,
                "expiry_wait": self.expiry_wait_s,
                "run_deadline": self.run_deadline_s,
            },
        }


@dataclass(frozen=True)
class Overrides:
    """The flags of ``run`` and ``plan`` that shape the target (``None`` = not given)."""

    profile: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    job_timeout_s: float | None = None
    expiry_wait_s: float | None = None
    deadline_s: float | None = None
    max_jobs: int | None = None
    max_video_seconds: int | None = None
    fuzz_billable: bool | None = None
    bundled: bool = False
    """Check the bundled reference provider whatever the profile's base URL says (used with a
    vendor dialect: the vendor's profile against a local provider speaking its dialect)."""


def _str_list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _number(
    data: Mapping[str, Any], key: str, where: str, *, allow_zero: bool = False
) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise UsageError(f"{where}: {key} must be a finite non-negative number")
    if value == 0 and not allow_zero:
        raise UsageError(f"{where}: {key} must be positive")
    return float(value)


def check_base_url(url: str) -> str:
    """A usable base URL (http or https, with a host, no credentials), without a trailing slash.

    A ``user:password@`` part is refused rather than stripped: it would be printed with the URL
    in every report, and httpx would turn it into ``Authorization: Basic`` replacing the key.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        shown = repr(url) if "@" not in url else "(not shown: it holds a user part)"
        raise UsageError(f"bad base URL {shown}: {exc}") from None
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            "bad base URL: it carries a user name or password; remove it and pass the key "
            f"through the key environment variable (default ${DEFAULT_KEY_ENV}) instead"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"bad base URL {url!r}: expected http(s)://host[:port]/path")
    if port == 0:
        raise UsageError(f"bad base URL {url!r}: port 0")
    if parts.query or parts.fragment:
        raise UsageError(f"bad base URL {url!r}: no query or fragment allowed")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise UsageError(f"bad base URL {url!r}: contains whitespace or control characters")
    return url.rstrip("/")


def check_api_key(key: str, source: str) -> None:
    """A key that can travel in an HTTP header: printable ASCII, no whitespace or CR/LF.

    ``source`` names where it came from (``$VIDEO_API_KEY`` or ``--api-key``); the key itself
    is never printed.
    """
    for index, char in enumerate(key):
        if not (0x21 <= ord(char) <= 0x7E):
            what = (
                "a line break"
                if char in "\r\n"
                else "whitespace"
                if char.isspace()
                else "a non-ASCII character"
                if ord(char) > 0x7E
                else "a control character"
            )
            raise UsageError(
                f"the API key from {source} has {what} at position {index + 1}; "
                "a key must be printable ASCII without spaces"
            )


def check_positive(value: float | None, flag: str, *, allow_zero: bool = False) -> None:
    """A finite positive number (zero too with ``allow_zero``); ``nan``/``inf`` refused."""
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{flag} must be a finite number, not {value}")
    if value < 0 or (value == 0 and not allow_zero):
        raise UsageError(f"{flag} must be {'non-negative' if allow_zero else 'positive'}")


def resolve_target(
    flags: Overrides, env: Mapping[str, str] | None = None, *, require_key: bool = True
) -> Target:
    """Build the frozen ``Target`` of a run from profile, environment and flags.

    ``require_key=False`` (``plan``, which sends nothing) accepts a target without a key.
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    where = "flags"
    profile_label: str | None = None
    if flags.profile:
        path = profile_path(flags.profile)
        data = load_profile(path)
        where = f"profile {path}"
        profile_label = path.stem if path.parent == PROFILES_DIR else str(path)
    elif not flags.base_url:
        # No target at all: the bundled reference provider.
        data = load_profile(PROFILES_DIR / "reference.toml")
        where, profile_label = "profile reference", "reference"

    base_url = flags.base_url or data.get("base_url") or ""
    if flags.bundled and flags.base_url:
        raise UsageError("--base-url and --provider-dialect exclude each other")
    bundled = flags.bundled or (bool(data.get("bundled", False)) and not flags.base_url)
    if not bundled:
        if not base_url:
            raise UsageError(f"{where}: no base_url (pass --base-url)")
        base_url = check_base_url(str(base_url))

    key_env = str(data.get("api_key_env") or DEFAULT_KEY_ENV)
    api_key = flags.api_key or env.get(key_env) or ""
    if not bundled and not api_key and require_key:
        raise UsageError(f"no API key: set ${key_env} or pass --api-key")
    if api_key:
        check_api_key(api_key, "--api-key" if flags.api_key else f"${key_env}")
    register_secret(api_key)

    auth = data.get("auth", "bearer")
    if auth not in AUTH_STYLES:
        raise UsageError(f"{where}: auth must be one of {', '.join(AUTH_STYLES)}, not {auth!r}")
    encodings = _str_list(data, "create_encodings", where) or ENCODINGS
    for enc in encodings:
        if enc not in ENCODINGS:
            raise UsageError(f"{where}: unknown create encoding {enc!r} (json, multipart)")
    features = _str_list(data, "features", where) or ()
    for feat in features:
        if feat not in DECLARABLE_FEATURES:
            known = ", ".join(DECLARABLE_FEATURES)
            raise UsageError(f"{where}: unknown feature {feat!r} (known: {known})")
    absent = _str_list(data, "absent_features", where) or ()
    for feat in absent:
        if feat not in DECLARABLE_FEATURES:
            known = ", ".join(DECLARABLE_FEATURES)
            raise UsageError(
                f"{where}: unknown feature {feat!r} in absent_features (known: {known})"
            )
        if feat in features:
            raise UsageError(f"{where}: {feat!r} is in both features and absent_features")
    sizes = _str_list(data, "sizes", where) or (contract.DEFAULT_SIZE,)
    seconds = _str_list(data, "seconds", where) or (contract.DEFAULT_SECONDS,)
    for s in seconds:
        if not s.isdigit():
            raise UsageError(f"{where}: seconds values must be whole numbers as strings: {s!r}")
    ext = data.get("extensions", {})
    ext_seconds = _str_list(ext, "seconds", f"{where} [extensions]") or ()
    ext_sizes = _str_list(ext, "sizes", f"{where} [extensions]") or ()
    create_status = data.get("create_status")
    if create_status is not None and (
        not isinstance(create_status, int) or not 200 <= create_status < 300
    ):
        raise UsageError(f"{where}: create_status must be a 2xx integer")

    budget = data.get("budget", {})
    limits = BudgetLimits(
        max_jobs=int(flags.max_jobs or _number(budget, "max_jobs", where) or 8),
        max_video_seconds=int(
            flags.max_video_seconds or _number(budget, "max_video_seconds", where) or 64
        ),
        price_per_second=_number(budget, "price_per_second", where, allow_zero=True),
    )
    timeouts = data.get("timeouts", {})
    model = flags.model or data.get("model") or None
    failing_prompt = str(data.get("failing_prompt") or "")
    if bundled and not failing_prompt:
        # The bundled provider fails any job whose prompt carries its marker, whatever dialect
        # it speaks: a vendor profile checked against it exercises the failure path too.
        reference = load_profile(PROFILES_DIR / "reference.toml")
        failing_prompt = str(reference.get("failing_prompt") or "")
    name = str(data.get("name") or (urlsplit(base_url).hostname or "target"))
    return Target(
        name=name,
        base_url=base_url,
        api_key=api_key,
        auth=auth,
        create_encodings=encodings,
        model=str(model) if model else None,
        sizes=sizes,
        seconds=seconds,
        features=frozenset(features),
        absent_features=frozenset(absent),
        extension_seconds=ext_seconds,
        extension_sizes=ext_sizes,
        failing_prompt=failing_prompt,
        create_status=create_status,
        budget=limits,
        job_timeout_s=flags.job_timeout_s
        or _number(timeouts, "job", where)
        or DEFAULT_JOB_TIMEOUT_S,
        request_timeout_s=_number(timeouts, "request", where) or DEFAULT_REQUEST_TIMEOUT_S,
        expiry_wait_s=flags.expiry_wait_s
        if flags.expiry_wait_s is not None
        else (_number(timeouts, "expiry_wait", where) or DEFAULT_EXPIRY_WAIT_S),
        deadline_s=flags.deadline_s,
        bundled=bundled,
        fuzz_billable=bool(
            flags.fuzz_billable
            if flags.fuzz_billable is not None
            else data.get("fuzz_billable", False)
        ),
        profile=profile_label,
    )
