"""Planning: which jobs a run creates (``JobSpec``, one per purpose) for the selected checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.catalog import CHECKS
from conformance.config import Target
from conformance.contract import VARIANTS

SDK_FEATURES = ("list", "remix", "delete")
"""The declared features VID-SDK-003 exercises through openai-python."""

PURPOSES = (
    "main",
    "sdk",
    "failing",
    "remix",
    "image",
    "extension_seconds",
    "extension_size",
)
"""Every job purpose, in reservation priority order."""

EXTRA_VARIANTS = tuple(v for v in VARIANTS if v != VARIANTS[0])
"""The ``/content`` variants besides the video itself (the spec lists the default first)."""


@dataclass(frozen=True)
class JobSpec:
    """One job the run will create."""

    purpose: str
    encoding: str
    """``json`` or ``multipart`` (``remix`` is always JSON, as the SDK sends it)."""
    fields: dict[str, str]
    """Exactly the body fields sent (a field left out is left out on purpose)."""
    billed_seconds: int
    description: str
    source: str | None = None
    """For a remix: the purpose of the job it remixes."""
    with_image: bool = False
    """Send an ``input_reference`` image file (multipart)."""
    variants: tuple[str, ...] = ()
    probe_early_content: bool = False
    sdk_create: bool = False
    """Created through openai-python (lax client); the raw answer is the create exchange."""
    sdk_poll: bool = False
    """Created, polled and downloaded by openai-python's own helpers (``create_and_poll``)."""
    fallbacks: tuple[tuple[str, dict[str, str]], ...] = ()
    """(encoding, fields) sent in turn while the vendor refuses with a 4xx (nothing was made,
    so the reservation still covers the resend): the job tries something the contract allows
    on purpose (a refusal is a finding of its own check) and the other checks still need it."""

    @property
    def uses_extension(self) -> bool:
        """The job asks for a declared extension (a value beyond the contract) on purpose.

        Its objects echo that value, so they are judged by the extension checks, not by the
        contract's shape checks: a client written to the contract never sends such a request.
        """
        return self.purpose.startswith("extension_")

    @property
    def requested(self) -> dict[str, str | None]:
        """model / size / seconds as requested (``None`` = omitted, so the default applies)."""
        return {k: self.fields.get(k) for k in ("model", "size", "seconds")}


def needed_purposes(target: Target, selected: Iterable[str]) -> set[str]:
    """The job purposes the ``selected`` checks declare (``catalog.Check.jobs``), less those the
    target rules out (a denied feature, no failing prompt, no declared extension)."""
    sdk_extended = [f for f in SDK_FEATURES if not target.denies(f)]
    needed: set[str] = set()
    for cid in selected:
        check = CHECKS.get(cid)
        if check is None:
            continue  # a property check: its phase creates what it needs itself
        if cid == "VID-SDK-003" and not sdk_extended:
            continue  # list, remix and delete all declared absent: unsupported, nothing to judge
        needed.update(check.jobs)
    if target.denies("remix"):
        needed.discard("remix")
    if target.denies("image_to_video"):
        needed.discard("image")
    if not target.failing_prompt:
        needed.discard("failing")
    if not target.extension_seconds:
        needed.discard("extension_seconds")
    if not target.extension_sizes:
        needed.discard("extension_size")
    if "remix" in needed:
        needed.add("main")  # the remix is of the main job
    return needed


def plan_jobs(target: Target, selected: Iterable[str], run_tag: str = "") -> list[JobSpec]:
    """The jobs a run with ``selected`` checks creates against ``target``, in priority order:
    the union of the purposes the selected checks declare in the catalogue."""
    ids = set(selected)
    needed = needed_purposes(target, ids)
    tag = f" [vc {run_tag}]" if run_tag else ""
    # The main job is sent as JSON first, whatever the profile documents: a refused JSON create
    # is VID-CREATE-001's finding, never a reason to leave the lifecycle unjudged, so it falls
    # back to multipart. Multipart is judged on the ``sdk`` job (openai-python sends every
    # create as multipart). The other jobs use the first documented encoding.
    main_enc = "multipart" if "multipart" in target.create_encodings else "json"
    base: dict[str, str] = {"model": target.model} if target.model else {}
    specs: list[JobSpec] = []
    detect: list[JobSpec] = []

    if "main" in needed:
        judges_variants = any(c in CHECKS and CHECKS[c].feature == "variants" for c in ids)
        variants = EXTRA_VARIANTS if not target.denies("variants") and judges_variants else ()
        main_fields = {
            **base,
            "prompt": f"A paper boat drifting on a calm pond{tag}",
            "size": target.main_size,
            "seconds": target.main_seconds,
        }
        specs.append(
            JobSpec(
                purpose="main",
                encoding="json",
                fields=main_fields,
                fallbacks=(("multipart", main_fields),),
                billed_seconds=int(target.main_seconds),
                description="json create with explicit size and seconds (multipart if refused)",
                variants=variants,
                probe_early_content="VID-CONTENT-005" in ids,
            )
        )
    if "sdk" in needed:
        prompt = {"prompt": f"A red balloon rising over rooftops{tag}"}
        specs.append(
            JobSpec(
                purpose="sdk",
                encoding="multipart",  # openai-python sends every create as multipart
                # model, size and seconds are all optional in the contract: an integrator's
                # shortest call leaves them all out. A refusal of the missing model
                # (VID-CREATE-006) must not cost the other checks their job: it is resent
                # with the profile's model.
                fields=prompt,
                fallbacks=((("multipart", {**base, **prompt}),) if base else ()),
                billed_seconds=4,  # the contract's default duration
                description=(
                    "openai-python create_and_poll with only the prompt (defaults apply), "
                    "then download_content"
                ),
                sdk_poll=True,
            )
        )
    if "failing" in needed:
        specs.append(
            JobSpec(
                purpose="failing",
                encoding=main_enc,
                fields={
                    **base,
                    "prompt": target.failing_prompt,
                    "size": target.main_size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description="create with the profile's failing_prompt (expected to fail)",
            )
        )
    if "remix" in needed:
        (specs if target.declares("remix") else detect).append(
            JobSpec(
                purpose="remix",
                encoding="json",
                fields={"prompt": f"The same scene, now at night under the stars{tag}"},
                billed_seconds=int(target.main_seconds),
                description="remix of the main job once it completed (sent by openai-python)",
                source="main",
                sdk_create=True,
            )
        )
    if "image" in needed:
        (specs if target.declares("image_to_video") else detect).append(
            JobSpec(
                purpose="image",
                encoding="multipart",
                fields={
                    **base,
                    "prompt": f"The pictured scene slowly comes alive{tag}",
                    "size": target.main_size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description="multipart create with an input_reference image file",
                with_image=True,
            )
        )
    if "extension_seconds" in needed:
        secs = target.extension_seconds[0]
        specs.append(
            JobSpec(
                purpose="extension_seconds",
                encoding=main_enc,
                fields={
                    **base,
                    "prompt": f"Clouds passing over hills{tag}",
                    "size": target.main_size,
                    "seconds": secs,
                },
                billed_seconds=int(secs) if secs.isdigit() else 20,
                description=f"create with the declared extension seconds {secs!r}",
            )
        )
    if "extension_size" in needed:
        size = target.extension_sizes[0]
        specs.append(
            JobSpec(
                purpose="extension_size",
                encoding=main_enc,
                fields={
                    **base,
                    "prompt": f"A windmill turning slowly{tag}",
                    "size": size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description=f"create with the declared extension size {size!r}",
            )
        )
    # Jobs that find out whether an unmentioned feature is there come last: the budget is
    # reserved in this order, and a claimed feature or the SDK oracle must never go without
    # its job for the sake of a discovery.
    return specs + detect
