"""HTTP errors of the provider: one canonical exception, one function that shapes its body.

Handlers raise :class:`ApiError` in canonical OpenAI terms; :func:`error_body` alone decides how
that looks on the wire for the active ``Behaviour.error_style``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from conformance.provider.behaviour import Behaviour


@dataclass
class ApiError(Exception):
    """An HTTP error answer, in the terms of the OpenAI envelope (facts §3.3, §6)."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)


def invalid(
    param: str | None, message: str, code: str = "invalid_value", status: int = 400
) -> ApiError:
    """A request validation error naming the offending field."""
    return ApiError(status=status, message=message, param=param, code=code)


def not_found(message: str, status: int = 404) -> ApiError:
    """An unknown or gone resource; a 5xx status (a fault) switches the type to server_error."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return ApiError(status=status, message=message, type=kind, code="not_found")


def as_validation(err: ApiError, behaviour: Behaviour) -> ApiError:
    """A request validation error with the dialect's validation status."""
    if err.status == 400 and behaviour.validation_status != 400:
        return replace(err, status=behaviour.validation_status)
    return err


def error_body(error: ApiError, behaviour: Behaviour) -> Any:
    """The JSON body for ``error`` in the provider's error style."""
    param = error.param if behaviour.error_param else None
    style = behaviour.error_style
    if style == "detail":
        return {"detail": error.message}
    if style == "flat":
        return {"code": error.code, "message": error.message, "data": None}
    if style == "string":
        return {"error": error.message}
    if style == "partial":
        return {"error": {"message": error.message, "type": error.type}}
    if style == "no_param":
        return {"error": {"message": error.message, "type": error.type, "code": error.code}}
    return {
        "error": {
            "message": error.message,
            "type": error.type,
            "param": param,
            "code": error.code,
        }
    }
