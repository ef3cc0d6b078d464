"""LlamaServer's lifecycle against a stand-in server script: started on a free loopback port,
healthy before use, and its whole process group gone after stop, a with-block's exception or a
failed start."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from orchestrl.errors import ConfigError, OrchestrlError
from orchestrl.plugins.policies.llama_server import BINARY_ENV, LlamaServer, find_server_binary

FAKE = Path(__file__).with_name("fake_llama_server.py")


@pytest.fixture
def fake_binary(tmp_path, monkeypatch) -> Path:
    binary = tmp_path / "llama-server"
    binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    binary.chmod(0o755)
    monkeypatch.setenv("FAKE_SERVER_PIDS", str(tmp_path / "pids"))
    return binary


@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    return path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split()[2] == "Z")


def wait_gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def pids(tmp_path: Path) -> list[int]:
    return [int(p) for p in (tmp_path / "pids").read_text().split()]


def test_start_waits_for_health_and_stop_ends_the_process_group(fake_binary, model, tmp_path):
    server = LlamaServer(model, binary=str(fake_binary), parallel=3, ctx_per_slot=512)
    server.start()
    try:
        assert server.healthy()
        assert server.base_url.startswith("http://127.0.0.1:")
        command = server.command()
        assert command[command.index("--parallel") + 1] == "3"
        assert command[command.index("--ctx-size") + 1] == "1536"  # 3 slots x 512
        started = pids(tmp_path)
        assert all(alive(p) for p in started)
    finally:
        server.stop()
    assert wait_gone(started), "the server or its child outlived stop()"
    server.stop()  # idempotent


def test_an_exception_in_the_with_block_stops_the_server(fake_binary, model, tmp_path):
    server = LlamaServer(model, binary=str(fake_binary))

    def fail_inside() -> None:
        with server:
            assert server.healthy()
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fail_inside()
    assert server.process is None
    assert wait_gone(pids(tmp_path))


def test_a_server_that_exits_while_starting_is_an_error_with_its_log(fake_binary, model,
                                                                     monkeypatch):
    monkeypatch.setenv("FAKE_SERVER_FAIL", "1")
    server = LlamaServer(model, binary=str(fake_binary))
    with pytest.raises(OrchestrlError, match="exited with code 1.*told to fail"):
        server.start()
    assert server.process is None


def test_binary_lookup_errors_are_one_line_config_errors(model, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="is not an executable file"):
        find_server_binary(str(tmp_path / "missing"))
    monkeypatch.setenv(BINARY_ENV, str(model))  # a file, not executable
    with pytest.raises(ConfigError, match="not an executable"):
        find_server_binary()
    with pytest.raises(ConfigError, match="is not a file"):
        LlamaServer(tmp_path / "none.gguf", binary=str(model))
    with pytest.raises(ConfigError, match="parallel >= 1"):
        LlamaServer(model, parallel=0)
