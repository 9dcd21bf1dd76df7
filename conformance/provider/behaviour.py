"""How the reference provider behaves on the wire.

The defaults are the strict OpenAI contract. Every field is one way a real provider can differ;
vendor dialects (``provider/dialects/*.toml``) and fault switches (``provider/faults.py``) are
nothing but sets of overrides of these fields, so the provider has one code path with knobs
instead of forks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance import contract

# The contract's values come from the spec (``conformance.contract``): the provider's defaults
# are the contract, and there is no second copy to drift from what the checks judge by.
CONTRACT_SECONDS: tuple[str, ...] = contract.SECONDS
CONTRACT_SIZES: tuple[str, ...] = contract.SIZES
CONTRACT_MODELS: tuple[str, ...] = contract.MODELS

Route = Literal["create", "list", "retrieve", "delete", "content", "remix"]
ALL_ROUTES: frozenset[str] = frozenset({"create", "list", "retrieve", "delete", "content", "remix"})


@dataclass(frozen=True)
class Behaviour:
    """Every observable choice of the provider. Defaults = the contract."""

    # --- what create accepts -------------------------------------------------------------
    seconds_allowed: tuple[str, ...] = CONTRACT_SECONDS
    """Accepted ``seconds`` strings; anything else is a 400 with ``param: "seconds"``."""
    seconds_accept_integer: bool = False
    """Accept a JSON integer ``seconds`` (the contract says string; an integer is a 400)."""
    seconds_accept_any: bool = False
    """Accept any positive integer string as ``seconds`` (renders that many seconds, max 20)."""
    sizes_allowed: tuple[str, ...] = CONTRACT_SIZES
    """Accepted ``size`` values of the form WxH."""
    size_aliases: dict[str, str] = field(default_factory=dict)
    """Extra accepted ``size`` inputs and the WxH they render at, e.g. {"16:9": "1280x720"}."""
    sizes_accept_any: bool = False
    """Accept any size string; a WxH renders at that size, anything else at the default size."""
    models_allowed: tuple[str, ...] | None = CONTRACT_MODELS
    """Accepted models; ``None`` accepts any model string."""
    model_required: bool = False
    default_model: str = contract.DEFAULT_MODEL
    default_seconds: str = contract.DEFAULT_SECONDS
    default_size: str = contract.DEFAULT_SIZE
    prompt_max_chars: int | None = 32000
    """Longest accepted prompt; ``None`` = no limit."""
    prompt_allow_empty: bool = False
    prompt_required: bool = True
    create_encodings: frozenset[str] = frozenset({"json", "multipart"})
    """Create (and remix) request encodings accepted; another one gets 415 with the envelope."""
    multipart_requires_file: bool = False
    """A multipart create without an ``input_reference`` file is a 400 with
    ``param: "input_reference"`` (text-to-video only through JSON; dev E3, SGLang)."""
    sizes_by_model: dict[str, list[str]] = field(default_factory=dict)
    """Per-model narrowing of ``sizes_allowed``: a model listed here accepts only these sizes
    (others are a 400 with ``param: "size"``), e.g. {"sora-2": ["720x1280", "1280x720"]}."""
    input_reference_supported: bool = True
    """Accept an ``input_reference`` image file (multipart). When False it is a 400."""
    validation_creates_job: bool = False
    """Fault: a request that is rejected with 400 still creates (and bills) a job."""
    validation_status: int = 400
    unknown_model_status: int = 400
    """Status of a create naming a model outside ``models_allowed`` (404 is OpenAI's
    ``model_not_found``; a 5xx is a fault)."""
    error_param: bool = True
    """Fill ``error.param`` with the offending field; False leaves it null."""

    # --- auth ---------------------------------------------------------------------------------
    auth_styles: frozenset[str] = frozenset({"bearer"})
    """Accepted credentials: ``bearer`` (Authorization: Bearer) and/or ``x-api-key``."""
    auth_exempt_routes: frozenset[str] = frozenset()
    """Routes that do not check the key at all (a fault; e.g. {"content"})."""
    auth_status: int = 401

    # --- which routes exist ------------------------------------------------------------------
    routes_disabled: frozenset[str] = frozenset()
    """Routes answered with ``disabled_route_status`` as if absent (list, delete, remix, ...)."""
    disabled_route_status: int = 404
    variants_supported: bool = True
    """Serve thumbnail/spritesheet; when False those variants are a 400."""

    # --- create response ----------------------------------------------------------------------
    create_status: int = 200

    # --- the Video object as sent --------------------------------------------------------------
    status_words: dict[str, str] = field(default_factory=dict)
    """Wire word per canonical status, e.g. {"in_progress": "processing", "queued": "pending"}."""
    progress_style: Literal["percent", "fraction", "percent_string"] = "percent"
    """``percent`` integer 0..100; ``fraction`` float 0..1; ``percent_string`` like "45%"."""
    progress_at_completion: int = 100
    progress_regress: bool = False
    """Fault: progress goes down once while the job is in progress."""
    status_regress: bool = False
    """Fault: a job that reached in_progress is reported as queued again on one poll."""
    omit_null_keys: bool = False
    """Drop keys whose value is null instead of sending null (D1)."""
    omit_keys_when_null: frozenset[str] = frozenset()
    """A narrower D1: these keys only are dropped while their value is null (e.g. {"error"})."""
    omit_keys: frozenset[str] = frozenset()
    """Keys never sent (e.g. {"prompt"})."""
    extra_fields: dict[str, Any] = field(default_factory=dict)
    """Constant extra keys added to every Video (e.g. {"quality": "standard"})."""
    extra_fields_by_model: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Extra keys per job model, over ``extra_fields``, e.g. {"sora-2-pro": {"quality": "high"}}."""
    url_field: bool = False
    """Add ``url`` (absolute URL of /content) to completed Videos."""
    completed_at_early: bool = False
    """Fault: ``completed_at`` is set while the job is queued/in progress (D2)."""
    completed_at_on_completion: bool = True
    """Set ``completed_at`` when the job completes (False leaves it null: a fault)."""
    created_at_unit: Literal["s", "ms", "iso"] = "s"
    id_style: Literal["video_hex", "uuid", "task", "base64std"] = "video_hex"
    """``video_<hex>`` (default), a bare uuid4 hex, ``task_<32 chars>``, or standard base64 that
    contains ``/``, ``+`` or ``=`` (C2)."""
    id_changes_on_retrieve: bool = False
    """Fault: retrieve answers with a different id than create returned (C3)."""
    object_word: str = "video"
    size_echo: str | None = None
    """Report this ``size`` in the Video instead of the requested one."""
    render_size: str | None = None
    """Fault: render the MP4 at this WxH whatever was requested."""
    render_seconds: float | None = None
    """Fault: render the MP4 with this duration whatever was requested."""
    failed_error_style: Literal["object", "message_only", "string", "missing"] = "object"
    """Shape of ``error`` on a failed job: {code,message} / {message} / "text" / absent."""
    remix_link: bool = True
    """Set ``remixed_from_video_id`` on remixes."""
    remix_jobs_fail: bool = False
    """Fault: the remix route accepts, but every remix job ends ``failed``."""
    poll_after_ms: int | None = 500
    """Longest ``openai-poll-after-ms`` asked for on retrieve while a job runs (sooner when the
    job is due); None = no header."""
    poll_after_raw: str | None = None
    """Fault: send this literal header value instead (e.g. "soon")."""

    # --- content ------------------------------------------------------------------------------
    content_type_video: str = "video/mp4"
    variant_ignored: bool = False
    """Serve the MP4 labelled video/mp4 for every variant (F1)."""
    content_not_ready_status: int = 400
    """Status of /content before completion (contract leaves 400/404/409 open)."""
    content_not_ready_200: bool = False
    """Fault: /content before completion answers 200 with a JSON body (F5)."""
    content_corrupt: bool = False
    """Fault: /content answers bytes that are not an MP4."""
    content_redirect: bool = False
    """Answer /content with 302 to a signed URL on the same server instead of the bytes (F3)."""
    content_redirect_foreign_keyed: bool = False
    """Fault: the redirect goes to another origin (the loopback host spelt the other way) whose
    URL also demands the API key, which clients drop across origins (F3)."""
    expiry_enforced: bool = True
    """After ``expires_at``, /content is 404. False keeps serving (a fault)."""

    # --- errors ---------------------------------------------------------------------------
    error_style: Literal["openai", "detail", "flat", "string", "partial", "no_param"] = "openai"
    """``openai`` {error:{message,type,param,code}}; ``detail`` {"detail": ...} (FastAPI);
    ``flat`` {code,message,data}; ``string`` {"error": "text"}; ``partial`` {error:{message,type}};
    ``no_param`` {error:{message,type,code}} (the ``param`` key is absent, as in 4all's docs)."""
    unknown_id_status: int = 404
    """Status for an id that does not exist (retrieve, content, delete, remix)."""
    retry_after: bool = True
    """Send ``Retry-After`` on 429."""

    # --- list and delete ------------------------------------------------------------------
    list_cursor_fields: bool = True
    """Send ``first_id``, ``last_id`` and ``has_more`` in the list object (G4)."""
    list_order_ignored: bool = False
    """Fault: ``order`` is ignored (always newest first)."""
    list_limit_ignored: bool = False
    """Fault: ``limit`` is ignored (every job in one page)."""
    delete_style: Literal["openai", "video_status", "minimal"] = "openai"
    """``openai`` {id, object: "video.deleted", deleted: true}; ``video_status`` the Video with
    status "deleted" (SGLang); ``minimal`` {"status": "deleted"}."""
    delete_noop: bool = False
    """Fault: delete answers success but the job stays retrievable."""
    delete_rejects_json_content_type: bool = False
    """Fault: a DELETE with ``Content-Type: application/json`` and no body (what openai-python
    sends) is a 400, as from a framework that parses the declared body."""
    list_delay_s: float = 0.0
    """Fault: a job is listed only this many seconds after its creation (a lagging index)."""

    def with_overrides(self, overrides: dict[str, Any]) -> Behaviour:
        """A copy with ``overrides`` applied; unknown names raise ``ValueError``.

        Lists are accepted for tuple/frozenset fields so that TOML data can be used directly.
        """
        known = {f.name: f for f in dataclasses.fields(self)}
        values: dict[str, Any] = {}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"unknown behaviour field {name!r}")
            current = getattr(self, name)
            if isinstance(current, frozenset) and isinstance(value, list | tuple | set):
                value = frozenset(value)
            elif isinstance(value, list) and (
                isinstance(current, tuple) or name == "models_allowed"
            ):
                value = tuple(value)
            values[name] = value
        return dataclasses.replace(self, **values)


CONTRACT = Behaviour()
