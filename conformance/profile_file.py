"""A profile file: found by bundled name or path, read, parsed and shape-checked.

A bundled profile is named by its file stem (``--profile openai`` is
``conformance/profiles/openai.toml``); anything else is a path. What the values mean, and how
flags and the environment override them, is ``config.resolve_target``'s business. Every mistake
is a ``UsageError`` with one line that names the file and the culprit.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.profile_schema import validate_profile

PROFILES_DIR = Path(__file__).parent / "profiles"

# The profile schema: top-level keys and the keys of each table. Anything else is a typo.
_TOP_KEYS = frozenset(
    {
        "name",
        "description",
        "base_url",
        "api_key_env",
        "auth",
        "create_encodings",
        "model",
        "sizes",
        "seconds",
        "features",
        "absent_features",
        "failing_prompt",
        "create_status",
        "bundled",
        "fuzz_billable",
        "extensions",
        "budget",
        "timeouts",
    }
)
_TABLE_KEYS: dict[str, frozenset[str]] = {
    "extensions": frozenset({"seconds", "sizes"}),
    "budget": frozenset({"max_jobs", "max_video_seconds", "price_per_second"}),
    "timeouts": frozenset({"job", "request", "expiry_wait"}),
}


def profile_path(name_or_path: str) -> Path:
    """Resolve ``--profile``: an existing file, else a bundled profile of that name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    bundled = PROFILES_DIR / f"{name_or_path}.toml"
    if "/" not in name_or_path and bundled.is_file():
        return bundled
    names = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.toml")))
    raise UsageError(f"profile {name_or_path!r} not found (a file path, or one of: {names})")


def load_profile(path: Path) -> dict[str, Any]:
    """Parse and shape-check one profile file; unknown keys are an error naming the key."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise UsageError(f"cannot read profile {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"profile {path} is not valid TOML: {exc}") from None
    if path.parent.resolve() != PROFILES_DIR.resolve():
        # The shipped profiles are schema-checked by the project's tests; skipping them here
        # keeps jsonschema off the path to a default run's first create.
        validate_profile(data, path, text)
    for key, value in data.items():
        if key not in _TOP_KEYS:
            raise UsageError(f"profile {path}: unknown key {key!r}")
        if key in _TABLE_KEYS:
            if not isinstance(value, dict):
                raise UsageError(f"profile {path}: [{key}] must be a table")
            for sub in value:
                if sub not in _TABLE_KEYS[key]:
                    raise UsageError(f"profile {path}: unknown key {key}.{sub!r}")
    return data
