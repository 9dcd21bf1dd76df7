"""Everything a check module imports, in one place.

A check (``conformance/suite/test_<feature>.py``) imports its fixtures' types and helpers from
here and nothing from ``conformance.plugin`` (the runner's pytest hooks, which provide the
fixtures below). Contract facts (statuses, sizes, seconds, defaults) come from
``conformance.contract``.

Writing a check module (``conformance/suite/test_<feature>.py``)
=================================================================

Mark each test with the catalogue id it implements; one test per id (a parametrized test may
give each parameter its own id with ``pytest.param(..., marks=catalog.check(ID))``)::

    from conformance import catalog
    from conformance.suite.kit import CheckRecorder, Client, Jobs, describe

    @catalog.check("VID-LIST-001")
    def test_list_shape(client: Client, jobs: Jobs, check: CheckRecorder) -> None:
        job = jobs.created("main")              # skips with the reason if there is no main job
        response = client.list_videos(limit=10)
        assert response.status == 200, f"list answered {describe(response)}"

A check whose catalogue feature is an extended feature the target does not offer (the profile
declares it absent, or its route answered "not offered" earlier in the run) is ``unsupported``
before its body runs; an undeclared feature nobody has tried yet runs, and its route's answer
decides (``features.judge_route``, see ``conformance.features``).

Outcomes: the test returns → ``passed``; ``AssertionError`` (``assert cond, "message"``) →
``failed`` with that message (pytest's own explanation is cut off); ``raise Unsupported(msg)``
→ ``unsupported`` (the profile does not declare the feature; a *declared* feature whose route
answers 404/405/501 is a broken claim, so it fails); ``pytest.skip(msg)`` → ``skipped``
(prerequisite missing, over budget);
any other exception (``TransportFailure`` from the network included) → ``error``.

Fixtures
--------
``target``   the frozen ``config.Target`` (``declares(feature)``, sizes, seconds, model, ...).
``client``   ``client.Client``: ``create(fields, encoding=, files=, auth=)``, ``retrieve(id)``,
             ``content(id, variant=, follow_redirects=)``, ``delete(id)``, ``remix(id, prompt)``,
             ``list_videos(**params)``, ``request(method, path, ...)``; ``auth=`` is
             ``default|none|wrong|bearer|x-api-key``. Returns ``client.Response`` (``status``,
             ``headers``, ``content``, ``json()``, ``content_type``, ``redirects``, ``exchange``).
             Every exchange a test makes is attached to its result as evidence automatically.
``budget``   ``budget.Budget``: any request that may create a job first calls
             ``budget.reserve(seconds, purpose)`` (``None`` → ``pytest.skip("over budget")``),
             then ``confirm(video_id)`` on 2xx or ``cancel()``. ``probes`` does this for you.
``probes``   ``Probes``: ``probes.create(fields, encoding=..., auth=...)`` sends a
             create that *should* be rejected, with budget and clean-up handled (an accepted
             one is confirmed, deleted when delete is declared, and returned for the check to
             fail); ``probes.remix(video_id, prompt)`` likewise; ``probes.valid_fields(**kw)``
             is a valid create body for the target (``kw`` overrides, ``None`` removes a field).
             A check that creates a job by other means reserves budget itself and
             appends the id to ``ctx.created_by_checks`` for the end-of-run clean-up.
``jobs``     ``Jobs`` over the job pool. Purposes (``jobs.JobSpec.purpose``):
             ``main`` (JSON, multipart if refused; explicit model/size/seconds; early
             /content probe; thumbnail+spritesheet downloaded when ``variants`` is declared),
             ``failing`` (profile's ``failing_prompt``), ``remix`` (remix of ``main`` once
             completed, sent by openai-python), ``image`` (multipart with an
             ``input_reference`` JPEG), ``sdk`` (openai-python's ``create_and_poll`` with only
             the prompt, so the defaults apply, resent with the model if refused, then
             ``download_content``; ``job.sdk`` keeps what the SDK returned or raised),
             ``extension_seconds``,
             ``extension_size`` (first declared extension value). A purpose is planned only
             when a selected check needs it and the profile declares the feature.
             ``jobs.created(p)`` as soon as the create answered; ``jobs.finished(p)`` once
             terminal (or timed out); ``jobs.completed(p)`` once completed with its content;
             each blocks and ``pytest.skip``s with the reason when it cannot deliver.
             ``jobs.get(p)`` returns the ``PoolJob`` whatever happened (``None`` if not
             planned); ``jobs.all()`` every planned job, finished.
             ``PoolJob``: ``spec`` (purpose, encoding, fields sent, requested, variants),
             ``outcome`` (completed|failed|timeout|rejected|broken|skipped|error), ``reason``,
             ``video_id``, ``create`` (Response), ``created_wall``, ``polls``
             (``PollRecord(t, status_code, headers, body, exchange)``), ``observed`` (every Video
             body: ("create"|"poll", body)), ``final`` (last Video), ``terminal_word``,
             ``early_content``, ``content`` (Response of /content, redirects followed),
             ``video_probe`` (``media.VideoProbe``), ``variants`` ({"thumbnail": Response, ...}),
             ``poster_png``. ``jobs.pool.accepted_encodings()`` / ``working_encoding()``: the
             create encodings the target accepted in this run (blocks until the creates answered).
``ledger``   ``VideoLedger``: ``ledger.add(source, body)`` for every Video a check sees outside
             the pool (list items, remix and SDK responses) so the object checks judge it too.
``check``    ``CheckRecorder`` of the running test: ``check.note(msg)`` (message when it
             passes), ``check.extension(msg)`` (passed with ``kind="extension"``: the vendor
             accepts more than the contract, as declared), ``check.observe(msg)`` (passed
             with ``kind="note"``: legal but worth knowing), ``check.detail(key, value)``,
             ``check.attach(*exchanges)`` (extra evidence, e.g. ``job.create.exchange``).
``features`` ``FeatureMap``: ``offered(name)``, ``require(name)`` (for a feature other than the
             check's own), ``judge_route(name, response, what)`` on the first answer of a route.
``ctx``      the whole ``SuiteContext``: ``run_tag`` (in every prompt the run sends),
             ``report_dir`` (state files for deferred checks), and typed fields a check fills
             for a later check or the runner: ``created_by_checks`` (ids of jobs a check
             created outside ``probes``, for the end-of-run clean-up), ``keep_ids``,
             ``deferred``, ``deleted``, ``rejections``, ``sdk_transcripts``.

Ordering markers: ``@pytest.mark.late`` runs after the ordinary checks (aggregating checks,
among them every check that judges ``jobs.all()``, and expiry waits);
``@pytest.mark.destructive`` runs last (delete: the VID-DEL checks delete a
finished job no other check needs any more: the remix, else the ``sdk`` job, ...).
Within each, checks needing no job come first and checks of a remix last
(``ConformancePlugin._readiness``). Never rely on file order.

Checks do not test their own feature's absence (the plugin does, above); ``Unsupported`` is
for a check that needs *another* feature than its own (``raise Unsupported(...)``, or
``features.require(name)``).
"""

from __future__ import annotations

from conformance.budget import Budget
from conformance.client import AuthMode, Client, Response, Throttled
from conformance.config import Target
from conformance.features import FeatureMap, Unsupported
from conformance.jobs import PoolJob
from conformance.report.model import DeferredCheck, Exchange
from conformance.suite.context import CheckRecorder, Jobs, SuiteContext, VideoLedger
from conformance.suite.support import (
    REJECTION_STATUSES,
    URL_SAFE_ID,
    ProbeResult,
    Probes,
    contract_jobs,
    describe,
    duration_tolerance,
    envelope_problems,
    every_video,
    js,
    unknown_id,
)

__all__ = [
    "REJECTION_STATUSES",
    "URL_SAFE_ID",
    "AuthMode",
    "Budget",
    "CheckRecorder",
    "Client",
    "DeferredCheck",
    "Exchange",
    "FeatureMap",
    "Jobs",
    "PoolJob",
    "ProbeResult",
    "Probes",
    "Response",
    "SuiteContext",
    "Target",
    "Throttled",
    "Unsupported",
    "VideoLedger",
    "contract_jobs",
    "describe",
    "duration_tolerance",
    "envelope_problems",
    "every_video",
    "js",
    "unknown_id",
]
