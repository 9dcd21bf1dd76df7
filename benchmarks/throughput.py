"""Benchmark 4: the reference provider under concurrent clients: throughput, latency, memory.

The provider runs as its own process (``python -m conformance serve --port 0 …``) so that its
peak RSS (``VmHWM`` in ``/proc/<pid>/status``) is its own, a fresh one per concurrency level.
N clients (asyncio + httpx on loopback) each run a fixed number of jobs one after another:
create (JSON) → retrieve every ``openai-poll-after-ms`` (500 ms when absent) until terminal →
download ``/content``. Bounded by count and by a wall-time cap per level.

A job is *lost* when its create was accepted but it did not end completed with a non-empty MP4
download before the cap, or when the provider's store does not hold it.

Peak RSS covers the provider and its render worker processes: the sum of each process's own
high-water mark, read just before the provider stops (an upper bound of the true joint peak).

With ``BENCH_PROVIDER_BASELINE=<dir>`` (a source tree of another commit, e.g. from
``git archive``), every level also runs, right before, against the provider of that tree, with
the same flags, so that the two are measured side by side under the same machine load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks import markdown as md
from benchmarks.common import Section, log
from benchmarks.providers import ServedProvider, served_provider, status_bytes
from benchmarks.stats import Target, percentile

RENDER_SECONDS = 2.0
DEFAULT_POLL_S = 0.5
RENDER_SLOTS = 4
"""Renders in flight at once. Twice the cores: encoding is CPU-bound, and more render threads
than that starve the server's event loop (100 slots on 2 cores left requests unanswered);
further jobs wait in the provider's queue, as they would at any real service."""
GET_ATTEMPTS = 2
"""A retrieve or download that got no answer is sent once more (they are idempotent); a create
never is (it could start a second job)."""
LOST_TARGET = Target("jobs lost under load (all levels)", 0)
DROPPED_TARGET = Target("requests without an answer at the top level", 0)
RETRIEVE_P99_TARGET = Target(
    "retrieve p99 at 100 concurrent jobs, as a client in its own process sees it (ms)",
    50,
    strict=True,
)
JOB_BODY = {"model": "sora-2", "prompt": "throughput benchmark", "size": "720x1280", "seconds": "4"}
LAG_TICK_S = 0.01
LOAD_PROCESSES = 4
"""The N clients are split over this many processes (each one asyncio loop): one loop driving
100 httpx clients on a busy 2-core machine added seconds of its own to their latencies."""
MAX_JOBS_PER_LEVEL = 100
"""Jobs per client = min(jobs_each, this // N), at least one: a level's jobs then fit well
within its cap even when the machine is shared (4 render slots of 2 s each)."""
PROBE_INTERVAL_S = 0.02
"""An independent client, in a process of its own, retrieves one job this often during the
level. The N clients share one asyncio loop, so their own timings also include the time a
response waited for that busy loop; the probe's timings are the provider's alone."""
BASELINE_ENV = "BENCH_PROVIDER_BASELINE"
"""Names a source tree whose provider is measured beside this one (see the module docstring)."""


class _NoAnswer(Exception):
    """A request got no HTTP response; the job is abandoned by its client."""


@dataclass
class LevelResult:
    """One concurrency level."""

    concurrency: int
    jobs_planned: int
    provider: str = "this commit"
    wall_s: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    accepted_ids: list[str] = field(default_factory=list)
    finished: int = 0
    refused_creates: int = 0
    errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    probe_latencies: list[float] = field(default_factory=list)
    """Retrieves of an independent client in its own process (see ``PROBE_INTERVAL_S``)."""
    loop_lags: list[float] = field(default_factory=list)
    """How late the load process's event loop woke a ``LAG_TICK_S`` timer: the share of a
    client's latency that is the load generator's own, not the provider's."""
    peak_rss: int | None = None
    rss_before: int | None = None
    stored_jobs: int = 0
    unfinished_at_cap: int = 0
    """Accepted jobs still being polled (queued or rendering) when the level's cap ran out:
    slow, not lost; shown apart."""
    polling: set[str] = field(default_factory=set)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def lost(self) -> int:
        """Accepted jobs that neither completed with a download nor were still running at the
        cap (a failure, an error answer, a request without an answer), plus any the provider's
        store does not hold."""
        missing_from_store = max(0, len(self.accepted_ids) - self.stored_jobs)
        ended_badly = len(self.accepted_ids) - self.finished - self.unfinished_at_cap
        return ended_badly + missing_from_store


async def _timed(
    result: LevelResult, client: httpx.AsyncClient, route: str, method: str, url: str, **kw: object
) -> httpx.Response:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.TransportError as exc:
        # Counted, not retried: a create may have reached the provider (see stored jobs).
        result.transport_errors.append(f"{route}: {type(exc).__name__}")
        raise _NoAnswer from None
    result.latencies.setdefault(route, []).append(time.perf_counter() - started)
    return response


async def _get(
    result: LevelResult, client: httpx.AsyncClient, route: str, url: str
) -> httpx.Response:
    for attempt in range(GET_ATTEMPTS):
        try:
            return await _timed(result, client, route, "GET", url)
        except _NoAnswer:
            if attempt + 1 == GET_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _one_job(result: LevelResult, client: httpx.AsyncClient, base: str) -> None:
    response = await _timed(result, client, "create", "POST", f"{base}/videos", json=JOB_BODY)
    if response.status_code == 429:
        result.refused_creates += 1
        return
    if response.status_code >= 300:
        result.errors.append(f"create answered {response.status_code}")
        return
    video_id = response.json()["id"]
    result.accepted_ids.append(video_id)
    result.polling.add(video_id)
    try:
        await _follow(result, client, base, video_id)
    finally:
        result.polling.discard(video_id)


async def _follow(result: LevelResult, client: httpx.AsyncClient, base: str, video_id: str) -> None:
    """Poll one accepted job to its end, then download it."""
    while True:
        response = await _get(result, client, "retrieve", f"{base}/videos/{video_id}")
        status = response.json().get("status") if response.status_code == 200 else None
        if status == "completed":
            break
        if status == "failed" or response.status_code >= 300:
            result.errors.append(f"job ended {status or response.status_code}")
            return
        hint = response.headers.get("openai-poll-after-ms", "")
        await asyncio.sleep(int(hint) / 1000 if hint.isdigit() else DEFAULT_POLL_S)
    response = await _get(result, client, "content", f"{base}/videos/{video_id}/content")
    if response.status_code == 200 and response.content:
        result.finished += 1
    else:
        result.errors.append(f"content answered {response.status_code}")


async def _client(result: LevelResult, client: httpx.AsyncClient, base: str, jobs: int) -> None:
    for _ in range(jobs):
        try:
            await _one_job(result, client, base)
        except _NoAnswer:
            continue


async def _watch_loop(lags: list[float]) -> None:
    """Note how late each ``LAG_TICK_S`` sleep ends: the loop's own backlog."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(LAG_TICK_S)
        lags.append(max(0.0, time.perf_counter() - asked - LAG_TICK_S))


async def _drive(
    base_url: str, api_key: str, result: LevelResult, jobs_each: int, cap_s: float
) -> None:
    limits = httpx.Limits(max_connections=result.concurrency + 4)
    headers = {"Authorization": f"Bearer {api_key}"}
    lag = asyncio.create_task(_watch_loop(result.loop_lags))
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60.0) as client:
        tasks = [
            asyncio.create_task(_client(result, client, base_url, jobs_each))
            for _ in range(result.concurrency)
        ]
        started = time.perf_counter()
        done, pending = await asyncio.wait(tasks, timeout=cap_s)
        result.wall_s = time.perf_counter() - started
        result.unfinished_at_cap = len(result.polling)
        lag.cancel()
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                result.errors.append(f"client crashed: {type(task.exception()).__name__}")
        if pending:
            result.errors.append(f"{len(pending)} client(s) still busy at the {cap_s:g} s cap")


def run_level(
    concurrency: int, jobs_each: int, cap_s: float, baseline: Path | None = None
) -> LevelResult:
    """One level on a fresh provider process: every job is accepted (the queue has room for all
    of them), ``RENDER_SLOTS`` render at once and the rest wait their turn. ``baseline`` runs
    the provider of that source tree instead of this one."""
    result = LevelResult(concurrency, concurrency * jobs_each)
    if baseline is not None:
        result.provider = f"baseline ({baseline.name})"
    flags = [
        "--render-seconds", str(RENDER_SECONDS), "--ttl", "600",
        "--max-concurrent", str(min(concurrency, RENDER_SLOTS)),
        "--queue-limit", str(max(16, 2 * concurrency)),
    ]  # fmt: skip
    with _source(baseline), served_provider(*flags) as provider:
        result.rss_before = _tree_rss(provider.process.pid, "VmRSS")
        with _probe(provider) as probe_latencies:
            _load(provider, result, jobs_each, cap_s)
        result.probe_latencies = probe_latencies
        result.peak_rss = _tree_rss(provider.process.pid, "VmHWM")
        result.stored_jobs = len(provider.jobs())
    return result


@contextlib.contextmanager
def _probe(provider: ServedProvider) -> Iterator[list[float]]:
    """Run the independent retrieve probe for the duration of the block; fills the list."""
    latencies: list[float] = []
    command = [sys.executable, "-m", "benchmarks.throughput", "probe", provider.base_url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=_own_env(provider))
    try:
        yield latencies
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        with contextlib.suppress(ValueError):
            latencies.extend(float(v) for v in json.loads(out or "[]"))


LOAD_FIELDS = (
    "wall_s", "latencies", "accepted_ids", "finished", "refused_creates", "errors",
    "transport_errors", "loop_lags", "unfinished_at_cap",
)  # fmt: skip
"""What the load process reports back (JSON on its stdout)."""


def _load(provider: ServedProvider, result: LevelResult, jobs_each: int, cap_s: float) -> None:
    """Run the N clients in processes of their own (``load`` below), ``LOAD_PROCESSES`` at
    most, the clients split evenly: the benchmark's own process then only waits, and no one
    event loop carries all of them."""
    count = min(LOAD_PROCESSES, result.concurrency)
    shares = [result.concurrency // count + (i < result.concurrency % count) for i in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.throughput", "load", provider.base_url,
             str(share), str(jobs_each), str(cap_s)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_own_env(provider),
        )
        for share in shares
    ]  # fmt: skip
    for process in processes:
        err = ""
        try:
            out, err = process.communicate(timeout=cap_s + 120)
            facts = json.loads(out)
        except (ValueError, subprocess.TimeoutExpired) as exc:
            process.kill()
            last = (err.strip().splitlines() or [type(exc).__name__])[-1]
            result.errors.append(f"a load process failed: {last[:200]}")
            continue
        _merge(result, facts)


def _merge(result: LevelResult, facts: dict[str, Any]) -> None:
    """Add one load process's facts to the level's."""
    result.wall_s = max(result.wall_s, float(facts["wall_s"]))
    for route, values in facts["latencies"].items():
        result.latencies.setdefault(route, []).extend(values)
    result.accepted_ids += facts["accepted_ids"]
    result.finished += int(facts["finished"])
    result.refused_creates += int(facts["refused_creates"])
    result.errors += facts["errors"]
    result.transport_errors += facts["transport_errors"]
    result.loop_lags += facts["loop_lags"]
    result.unfinished_at_cap += int(facts["unfinished_at_cap"])


def _own_env(provider: ServedProvider) -> dict[str, str]:
    """Environment of a helper process: the key (never on a command line), this checkout's
    ``benchmarks`` package whatever ``_source()`` set for the provider."""
    env = {**os.environ, "BENCH_PROBE_KEY": provider.api_key}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    env.pop("PYTHONSAFEPATH", None)
    return env


def _load_main(base_url: str, concurrency: int, jobs_each: int, cap_s: float) -> int:
    """The load process: N clients, then the facts as JSON on stdout."""
    result = LevelResult(concurrency, concurrency * jobs_each)
    key = os.environ.get("BENCH_PROBE_KEY", "")
    asyncio.run(_drive(base_url, key, result, jobs_each, cap_s))
    print(json.dumps({name: getattr(result, name) for name in LOAD_FIELDS}))
    return 0


def _probe_main(base_url: str) -> int:
    """The probe process: create one job, then retrieve it every ``PROBE_INTERVAL_S`` until
    SIGTERM; prints the latencies (seconds) as a JSON list."""
    stop = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {os.environ.get('BENCH_PROBE_KEY', '')}"}
    with (
        httpx.Client(headers=headers, timeout=60.0) as client,
        contextlib.suppress(httpx.HTTPError),
    ):
        video_id = client.post(f"{base_url}/videos", json=JOB_BODY).json()["id"]
        while not stop:
            started = time.perf_counter()
            client.get(f"{base_url}/videos/{video_id}")
            latencies.append(time.perf_counter() - started)
            time.sleep(PROBE_INTERVAL_S)
    print(json.dumps(latencies))
    return 0


def run(levels: tuple[int, ...], jobs_each: int, cap_s: float) -> Section:
    """Benchmark 4."""
    baseline = _baseline_tree()
    results = []
    for level in levels:
        each = jobs_per_client(level, jobs_each)
        if baseline is not None:
            log(f"throughput: baseline provider, {level} concurrent client(s)")
            results.append(run_level(level, each, cap_s, baseline))
        log(f"throughput: {level} concurrent client(s), {each} job(s) each")
        results.append(run_level(level, each, cap_s))
    return _section(results, jobs_each, cap_s)


def jobs_per_client(concurrency: int, jobs_each: int) -> int:
    """Jobs each client runs at a level (see ``MAX_JOBS_PER_LEVEL``)."""
    return max(1, min(jobs_each, MAX_JOBS_PER_LEVEL // max(1, concurrency)))


def _baseline_tree() -> Path | None:
    value = os.environ.get(BASELINE_ENV, "").strip()
    if not value:
        return None
    tree = Path(value).resolve()
    if not (tree / "conformance" / "provider").is_dir():
        raise ValueError(f"{BASELINE_ENV}={value} is not a source tree with conformance/provider")
    return tree


@contextlib.contextmanager
def _source(tree: Path | None) -> Iterator[None]:
    """Make ``python -m conformance`` started meanwhile import the package from ``tree``.

    PYTHONSAFEPATH keeps the working directory (this checkout) off the front of ``sys.path``,
    so the tree named on PYTHONPATH wins over it and over the installed package.
    """
    if tree is None:
        yield
        return
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "PYTHONSAFEPATH")}
    os.environ["PYTHONPATH"] = str(tree)
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _tree_rss(pid: int, key: str) -> int | None:
    """``key`` (``VmRSS`` or ``VmHWM``) summed over ``pid`` and its child processes."""
    pids = [pid, *_children(pid)]
    values = [status_bytes(p, key) for p in pids]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _section(results: list[LevelResult], jobs_each: int, cap_s: float) -> Section:
    rows = []
    for r in results:
        everything = [v for values in r.latencies.values() for v in values]
        per_route = ", ".join(
            f"{route} {md.fmt_ms(percentile(values, 50))}/{md.fmt_ms(percentile(values, 99))}"
            for route, values in sorted(r.latencies.items())
        )
        rows.append(
            [
                r.provider,
                str(r.concurrency),
                f"{len(r.accepted_ids)}/{r.jobs_planned}",
                str(r.refused_creates),
                str(r.lost),
                str(r.unfinished_at_cap),
                str(r.stored_jobs),
                str(len(r.transport_errors)),
                str(r.requests),
                md.fmt_seconds(r.wall_s, 1),
                md.fmt_number(r.requests / r.wall_s if r.wall_s else None, 1),
                md.fmt_ms(percentile(r.latencies.get("retrieve", []), 50)),
                md.fmt_ms(percentile(r.latencies.get("retrieve", []), 99)),
                f"{md.fmt_ms(percentile(r.probe_latencies, 50))} / "
                f"{md.fmt_ms(percentile(r.probe_latencies, 99))} "
                f"({len(r.probe_latencies)})",
                f"{md.fmt_ms(percentile(r.loop_lags, 50))} / "
                f"{md.fmt_ms(percentile(r.loop_lags, 99))}",
                md.fmt_ms(percentile(everything, 50)),
                md.fmt_ms(percentile(everything, 99)),
                per_route,
                md.fmt_bytes(r.rss_before),
                md.fmt_bytes(r.peak_rss),
            ]
        )
    notes = sorted({f"{r.provider}: {e}" for r in results for e in r.errors + r.transport_errors})
    # The targets judge this commit's provider; a baseline is there for comparison only.
    own = [r for r in results if r.provider == LevelResult(0, 0).provider]
    total_lost = sum(r.lost for r in own)
    top = max(own, key=lambda r: r.concurrency, default=None)
    dropped = None if top is None else len(top.transport_errors)
    p99 = None if top is None else percentile(top.probe_latencies, 99)
    p99_ms = None if p99 is None else p99 * 1000
    clients_p99 = None if top is None else percentile(top.latencies.get("retrieve", []), 99)
    lag_p99 = None if top is None else percentile(top.loop_lags, 99)
    body = "\n\n".join(
        [
            f"Provider process per level: `python -m conformance serve --port 0 --render-seconds "
            f"{RENDER_SECONDS:g} --ttl 600 --max-concurrent min(N, {RENDER_SLOTS}) --queue-limit "
            f"max(16, 2N)` (the queue has room for every job, so none is refused; at most "
            f"{RENDER_SLOTS} jobs are in progress at once and the rest wait in the queue; "
            "a retrieve or download without an answer is retried once, a create never). "
            f"min({jobs_each}, {MAX_JOBS_PER_LEVEL} // N) job(s) per client (at least one), one "
            f"after another; cap {cap_s:g} s per "
            "level. Requests per second = all requests / the level's wall time, which includes "
            "the render time, so it measures the load a poller population puts on the provider, "
            "not the provider's ceiling. Latency = request start to full response (loopback). "
            f"The N clients run split over up to {LOAD_PROCESSES} processes of their own (one "
            "asyncio loop each, httpx), apart from the benchmark's; the clients of a process "
            "share its loop, so their timings include the time a response waited for it: the "
            "*loop lag* column is how late those loops woke a "
            f"{LAG_TICK_S * 1000:g} ms timer, the load generator's own share of their latency. "
            "Probe = one more client in another process, retrieving one job every "
            f"{PROBE_INTERVAL_S * 1000:g} ms during the level, one request at a time: what a "
            "client sees of the provider alone (its one job is among those stored). "
            "Peak RSS = the sum of each provider process's own peak (server and render "
            "workers). A `baseline` row, when present, is the provider of an earlier commit "
            "run with the same flags right before this commit's, under the same machine load.",
            md.table(
                [
                    "provider",
                    "concurrent jobs",
                    "accepted",
                    "refused (429)",
                    "lost",
                    "unfinished at the cap",
                    "stored by provider",
                    "no answer",
                    "requests",
                    "wall",
                    "requests/s",
                    "retrieve p50",
                    "retrieve p99",
                    "probe retrieve p50 / p99 (n)",
                    "load process loop lag p50 / p99",
                    "p50 latency",
                    "p99 latency",
                    "p50/p99 by route",
                    "RSS idle",
                    "peak RSS (all processes)",
                ],
                rows,
            ),
            "Problems seen: " + ("; ".join(notes) if notes else "none"),
        ]
    )
    return Section(
        "4. Reference provider throughput and memory",
        body,
        targets=[
            (
                LOST_TARGET.label,
                LOST_TARGET.describe(),
                str(total_lost),
                LOST_TARGET.verdict(total_lost),
            ),
            (
                "jobs still queued or rendering at the level's cap (all levels)",
                "report",
                str(sum(r.unfinished_at_cap for r in own)),
                "—",
            ),
            (
                DROPPED_TARGET.label,
                DROPPED_TARGET.describe(),
                str(dropped) if dropped is not None else "n/a",
                DROPPED_TARGET.verdict(dropped),
            ),
            (
                RETRIEVE_P99_TARGET.label,
                RETRIEVE_P99_TARGET.describe(),
                md.fmt_number(p99_ms, 0) if p99_ms is not None else "n/a",
                RETRIEVE_P99_TARGET.verdict(p99_ms),
            ),
            (
                "retrieve p99 at the top level, as the N load clients saw it (ms)",
                "report",
                md.fmt_ms(clients_p99).removesuffix(" ms") if clients_p99 is not None else "n/a",
                "—",
            ),
            (
                "load generator's own loop lag p99 at the top level (ms)",
                "report",
                md.fmt_ms(lag_p99).removesuffix(" ms") if lag_p99 is not None else "n/a",
                "—",
            ),
            (
                "peak RSS of the provider (server and render workers), top level",
                "report",
                md.fmt_bytes(None if top is None else top.peak_rss),
                "—",
            ),
        ],
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "probe":
        raise SystemExit(_probe_main(sys.argv[2]))
    if len(sys.argv) == 6 and sys.argv[1] == "load":
        raise SystemExit(
            _load_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        )
    print(
        "usage: python -m benchmarks.throughput probe <base-url> | "
        "load <base-url> <clients> <jobs-each> <cap-s>",
        file=sys.stderr,
    )
    raise SystemExit(2)
