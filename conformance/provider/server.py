"""Starting and stopping the reference provider: in-process for tests, blocking for the CLI."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import uvicorn

from conformance.provider.app import ProviderApp
from conformance.provider.config import ProviderConfig
from conformance.provider.engine import RenderEngine
from conformance.provider.store import Store

try:
    import fcntl
except (
    ImportError
):  # pragma: no cover - not POSIX: no data-dir lock, one provider per dir is on you
    fcntl = None  # type: ignore[assignment]

STARTUP_TIMEOUT = 15.0
LOCK_FILE = ".provider.lock"


KEEP_ALIVE_S = 30
"""Seconds an idle keep-alive connection stays open on the server side."""


class ProviderStartError(RuntimeError):
    """The provider could not start (port taken, data dir unusable or in use)."""


class Provider:
    """One running reference provider: HTTP server thread, render engine and workers, store."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._temp_dir: Path | None = None
        self._lock_handle: object | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.store: Store | None = None
        self.engine: RenderEngine | None = None
        self.base_url = ""

    @property
    def data_dir(self) -> Path:
        """Where this provider keeps its state."""
        if self.config.data_dir is not None:
            return self.config.data_dir
        assert self._temp_dir is not None, "start() first"
        return self._temp_dir

    def start(self) -> str:
        """Start serving; returns the base URL ending in ``/v1``."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _start(self) -> None:
        config = self.config
        if config.data_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="video-conformance-provider-"))
        else:
            try:
                config.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProviderStartError(
                    f"cannot use data dir {config.data_dir}: {exc.strerror or exc}"
                ) from None
        self._lock_data_dir()
        try:
            self.store = Store(self.data_dir)
        except Exception as exc:
            raise ProviderStartError(
                f"cannot open the provider database in {self.data_dir}: {exc}"
            ) from None
        self.engine = RenderEngine(
            self.store,
            render_seconds=config.render_seconds,
            ttl_seconds=config.ttl_seconds,
            fps=config.fps,
            max_concurrent=config.max_concurrent_renders,
            workers=config.render_workers,
        )
        app = ProviderApp(config, self.store, self.engine)
        sock = _bind(config.host, config.port)
        host, port = sock.getsockname()[:2]
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{port}/v1"
        uv_config = uvicorn.Config(
            app.asgi,
            # A bound method defeats uvicorn's interface sniffing; say what it is.
            interface="asgi3",
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            # Longer than a client keeps an idle connection (httpx: 5 s, uvicorn's default
            # here too): the client then always closes it first. At equal timeouts a client
            # reused a connection the server was closing at that moment, and its request got
            # no answer (seen under load, as dropped polls).
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="provider-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ProviderStartError(f"the HTTP server did not start on {host}:{port}")
            time.sleep(0.01)
        # The render workers start in the background once serving (start() does not wait for
        # them; they are ready well before a new job's queued time is up).
        self.engine.warm()
        # Resume only once serving: the jobs are visible (and pollable) while they finish.
        self.engine.resume_unfinished()

    def stop(self, *, drain: bool = True) -> None:
        """Stop HTTP, abandon running renders (kept for a resume), release everything.

        ``drain=False`` is for a caller that has sent its last request: the HTTP thread is told
        to exit but not waited for. uvicorn's graceful shutdown sleeps 0.1 s twice, which a
        run's report need not wait for; the thread is a daemon and ends on its own.
        """
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            if drain:
                self._thread.join(timeout=10)
        self._server = self._thread = None
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        if self.store is not None:
            self.store.close()
            self.store = None
        self._unlock_data_dir()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def _lock_data_dir(self) -> None:
        if fcntl is None:
            return
        handle = open(self.data_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held until stop()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ProviderStartError(
                f"data dir {self.data_dir} is in use by another running provider"
            ) from None
        self._lock_handle = handle

    def _unlock_data_dir(self) -> None:
        handle = self._lock_handle
        self._lock_handle = None
        if handle is not None:
            handle.close()  # type: ignore[attr-defined]


@contextlib.contextmanager
def running_provider(config: ProviderConfig | None = None) -> Iterator[str]:
    """Run a provider for the duration of the block; yields its base URL (ends in ``/v1``)."""
    provider = Provider(config or ProviderConfig())
    provider.start()
    try:
        yield provider.base_url
    finally:
        provider.stop()


def serve(
    config: ProviderConfig,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run a provider until SIGINT/SIGTERM (or ``stop`` is set); ``on_ready`` gets the URL."""
    stop = stop or threading.Event()
    provider = Provider(config)
    previous = None
    in_main = threading.current_thread() is threading.main_thread()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if in_main:
        previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        provider.start()
        if on_ready is not None:
            on_ready(provider.base_url)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass
    finally:
        provider.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ProviderStartError(f"cannot resolve host {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by every accepted connection (Linux, BSDs). Without it a response whose head
    # and body leave in two writes waits for the client's delayed ACK: about 40 ms per request
    # on loopback, measured (3 ms with it).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ProviderStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock
