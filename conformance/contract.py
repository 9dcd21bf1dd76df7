"""The contract: loads ``spec/openapi.yaml`` and validates instances against its components.

The spec ships inside the wheel as ``conformance/spec/openapi.yaml``; in a source checkout it
lives at ``spec/openapi.yaml`` beside the package. Validation uses JSON Schema Draft 2020-12,
which is the schema dialect of OpenAPI 3.1, with every ``$ref`` resolved inside the spec.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    # Imported where first used: jsonschema and referencing take a tenth of a second, and a
    # run's first create (which needs only the enums below) should not wait for them.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

# libyaml's loader parses the spec ten times faster than the pure-Python one (a quarter of a
# second of every start-up); PyYAML's wheels ship it, a source build may not.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The spec is registered under this URI so that its internal "#/components/..." refs resolve.
_SPEC_URI = "urn:video-conformance:openapi"
_PACKAGED_SPEC = ("spec", "openapi.yaml")
_SOURCE_SPEC = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"
# Error messages quote the offending value; a whole video list would drown the report.
_MAX_MESSAGE_CHARS = 300


def spec_path() -> Path:
    """Where the contract lives: the copy inside the installed package, else the source tree."""
    packaged = importlib.resources.files("conformance").joinpath(*_PACKAGED_SPEC)
    if packaged.is_file():
        return Path(str(packaged))
    return _SOURCE_SPEC


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed OpenAPI document (loaded once; callers must not mutate it)."""
    with spec_path().open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_YamlLoader)
    if not isinstance(document, dict):
        raise ValueError(f"{spec_path()} is not an OpenAPI document")
    return document


def spec_version() -> str:
    """The contract's version (``info.version``), recorded in every report."""
    return str(load_spec()["info"]["version"])


def component_names() -> list[str]:
    """The names of every schema under ``#/components/schemas``, sorted."""
    return sorted(load_spec()["components"]["schemas"])


def schema(component: str) -> dict[str, Any]:
    """The raw schema of one component (refs unresolved). Unknown name: ``KeyError``."""
    schemas: dict[str, Any] = load_spec()["components"]["schemas"]
    if component not in schemas:
        raise KeyError(f"unknown component {component!r}; known: {', '.join(sorted(schemas))}")
    result: dict[str, Any] = schemas[component]
    return result


@functools.cache
def _registry() -> Registry:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    return Registry().with_resource(_SPEC_URI, resource)


@functools.cache
def _validator(component: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema(component)  # raises KeyError with the known names
    root = {"$ref": f"{_SPEC_URI}#/components/schemas/{component}"}
    return Draft202012Validator(root, registry=_registry())


def _pointer(error: ValidationError) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path]
    return "/" + "/".join(parts)


def _path_order(error: ValidationError) -> list[tuple[int, int, str]]:
    # Paths mix list indices and keys; order indices numerically and keys alphabetically.
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path]


def _describe(error: ValidationError) -> str:
    # For anyOf/oneOf failures (e.g. `error` is neither null nor a job error) the top-level
    # message only says "not valid under any of the given schemas"; the most relevant nested
    # error names the actual field and problem.
    from jsonschema.exceptions import best_match

    specific = best_match([error])
    if specific is None:  # pragma: no cover - best_match of a non-empty list is never None
        specific = error
    message = specific.message
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[: _MAX_MESSAGE_CHARS - 1] + "…"
    return f"at {_pointer(specific)}: {message}"


def errors(component: str, instance: object) -> list[str]:
    """Every way ``instance`` violates the component's schema, as readable lines; ``[]`` if valid.

    Each line names the JSON pointer of the offending value, e.g.
    ``at /status: 'processing' is not one of ['queued', 'in_progress', 'completed', 'failed']``.
    Unknown component: ``KeyError`` listing the known names.
    """
    found = sorted(_validator(component).iter_errors(instance), key=_path_order)
    return list(dict.fromkeys(_describe(error) for error in found))


def is_valid(component: str, instance: object) -> bool:
    """Whether ``instance`` satisfies the component's schema."""
    return _validator(component).is_valid(instance)


def is_error_envelope(body: object) -> bool:
    """Whether ``body`` is the error envelope ``{"error": {message, type, param, code}}``."""
    return is_valid("ErrorResponse", body)


def _enum(node: dict[str, Any]) -> tuple[str, ...]:
    values = node.get("enum")
    if not isinstance(values, list) or not values:
        raise ValueError(f"{spec_path()}: expected an enum, found {node!r}")
    return tuple(str(v) for v in values)


def _create_default(field: str) -> str:
    value = schema("CreateVideoJsonBody")["properties"][field].get("default")
    if not isinstance(value, str):
        raise ValueError(f"{spec_path()}: createVideo's {field} has no string default")
    return value


def _content_variants() -> tuple[str, ...]:
    operation = load_spec()["paths"]["/videos/{video_id}/content"]["get"]
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == "variant":
            return _enum(parameter["schema"])
    raise ValueError(f"{spec_path()}: RetrieveVideoContent has no variant parameter")


# The contract's enums and defaults, read from the spec once at import so that the suite, the
# reference provider and its faults share one home for each fact (no copy to drift).
STATUSES: tuple[str, ...] = _enum(schema("Video")["properties"]["status"])
"""Every job status word, in lifecycle order: ``queued``, ``in_progress``, then terminal."""
SIZES: tuple[str, ...] = _enum(schema("VideoSize"))
SECONDS: tuple[str, ...] = _enum(schema("VideoSeconds"))
MODELS: tuple[str, ...] = tuple(str(m) for m in schema("VideoModel").get("examples", ()))
"""The known model ids (an open string: examples, not an enum)."""
VARIANTS: tuple[str, ...] = _content_variants()
"""``/content`` variants, the default (``video``) first."""
DEFAULT_MODEL: str = _create_default("model")
DEFAULT_SECONDS: str = _create_default("seconds")
DEFAULT_SIZE: str = _create_default("size")
