"""Minting video ids in each ``Behaviour.id_style``."""

from __future__ import annotations

import base64
import secrets
import string
import uuid

_ALPHABET = string.ascii_letters + string.digits


def make_id(style: str, model: str) -> str:
    """A fresh id: ``video_<hex>``, a bare uuid4 hex, ``task_<32 chars>`` or standard base64."""
    if style == "uuid":
        return uuid.uuid4().hex
    if style == "task":
        return "task_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))
    if style == "base64std":
        # Like LiteLLM's routing ids (C2): standard base64 of routing data, and by construction
        # containing '+', '/' and '=' (the 18-byte prefix keeps the marker bytes 3-aligned).
        payload = (
            secrets.token_bytes(18)
            + b"\xfb\xef\xbe\xff\xff\xff"
            + f"|{model}".encode()[:40]
            + b"\x00"
        )
        encoded = base64.b64encode(payload).decode()
        if "=" not in encoded:
            encoded = base64.b64encode(payload + b"\x00").decode()
        return "video_" + encoded
    return "video_" + secrets.token_hex(16)
