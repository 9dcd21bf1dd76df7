"""Hand-built invalid creates: each enum field of the create body with a value outside it.

Random negative generation mostly breaks types, which a vendor rejects easily; a value of the
right type outside the enum (a size the contract does not list) is what lax vendors accept.
These cases are built from the contract, so every vendor gets identical bytes (notes §2.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance import contract

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.schemas import BaseSchema

CREATE_BODIES = {
    "application/json": "CreateVideoJsonBody",
    "multipart/form-data": "CreateVideoMultipartBody",
}
VALID_PROMPT = "a calm lake at dawn"


def _enum_of(property_schema: dict[str, Any]) -> list[Any] | None:
    ref = property_schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        property_schema = contract.schema(ref.rsplit("/", 1)[1])
    enum = property_schema.get("enum")
    return enum if isinstance(enum, list) else None


def out_of_enum_bodies(component: str) -> list[dict[str, Any]]:
    """One body per enum-constrained string field, with a string the enum does not list."""
    bodies = []
    for name, prop in contract.schema(component).get("properties", {}).items():
        enum = _enum_of(prop)
        if not enum or not all(isinstance(v, str) for v in enum):
            continue
        value = str(enum[0]) + "0"
        while value in enum:
            value += "0"
        bodies.append({"prompt": VALID_PROMPT, name: value})
    return bodies


def invalid_create_cases(schema: BaseSchema) -> list[Case]:
    """The hand-built invalid creates, in both encodings."""
    operation = schema["/videos"]["POST"]
    return [
        operation.Case(body=body, media_type=media_type)
        for media_type, component in CREATE_BODIES.items()
        for body in out_of_enum_bodies(component)
    ]
