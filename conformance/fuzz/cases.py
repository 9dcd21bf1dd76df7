"""What a generated case is: its operation, its generation mode, and its body as sent on the wire.

The engine's view of a case (a Python body, a generation mode) and the request a vendor reads
can differ once the body is serialised; the executor judges the wire form, so a negative case
that became valid in transit is not sent as if it were invalid.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection

from conformance import contract

if TYPE_CHECKING:
    from schemathesis import Case


def operation_id(case: Case) -> str:
    """The spec's operationId of the case's operation."""
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def is_negative(case: Case) -> bool:
    """Whether the engine generated this case to be invalid."""
    meta = case.meta
    return meta is not None and meta.generation.mode is GenerationMode.NEGATIVE


def wire_create_body(prepared: requests.PreparedRequest) -> tuple[str, Any] | None:
    """(contract component, body) of a create as it goes on the wire; ``None`` if unreadable.

    Multipart fields arrive as text (a file part as its file name), whatever type the engine
    gave them, so the body is judged as the vendor will read it.
    """
    header = prepared.headers.get("Content-Type", "")
    ctype = header.decode("latin-1") if isinstance(header, bytes) else str(header)
    raw = prepared.body
    data = raw.encode() if isinstance(raw, str) else raw
    if not isinstance(data, bytes):
        return None
    if ctype.startswith("application/json"):
        try:
            return "CreateVideoJsonBody", json.loads(data)
        except ValueError:
            return None
    if ctype.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + data
        )
        if not message.is_multipart():
            return None
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str) or name in fields:
                return None
            filename = part.get_filename()
            if filename is not None:
                fields[name] = filename
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                return None
            try:
                fields[name] = payload.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return "CreateVideoMultipartBody", fields
    return None


def valid_as_sent(case: Case, auth_headers: Mapping[str, str]) -> bool:
    """Whether the engine itself would accept a 2xx to this negative case as correct."""
    try:
        kwargs = case.as_transport_kwargs(headers=dict(auth_headers))
        prepared = requests.Request(
            method=kwargs["method"],
            url=kwargs["url"],
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            data=kwargs.get("data"),
            json=kwargs.get("json"),
            files=kwargs.get("files"),
        ).prepare()
        wire = wire_create_body(prepared) if operation_id(case) == "createVideo" else None
        if wire is not None and contract.is_valid(wire[0], wire[1]):
            # The engine's mutation did not survive serialisation (a number sent as the
            # multipart text "4", an extra key the contract allows): the request on the
            # wire is a valid create, which a correct vendor accepts and bills.
            return True
        fake = requests.Response()
        fake.status_code = 200
        fake._content = b"{}"
        fake.headers["Content-Type"] = "application/json"
        fake.request = prepared
        fake.url = prepared.url or ""
        case.validate_response(fake, checks=[negative_data_rejection])
    except FailureGroup:
        return False
    except Exception:
        # Cannot tell: send it (the budget still bounds what it may cost).
        return False
    return True


def json_field(content: bytes | None, name: str) -> str | None:
    """The string field ``name`` of a JSON object body, or ``None``."""
    try:
        value = json.loads(content or b"").get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


__all__ = ["is_negative", "json_field", "operation_id", "valid_as_sent", "wire_create_body"]
