#!/usr/bin/env python3
"""A stand-in for ``llama-server`` (the command-line flags it is started with, ``/health``,
``/completion``) for lifecycle tests that must run without llama.cpp.

It starts a child process of its own (``sleep``), so a test can check that stopping the server
ends its whole process group, writes its pid and its child's pid to ``$FAKE_SERVER_PIDS``, and
answers ``/completion`` with the prompt's last token repeated ``n_predict`` times, echoing the
request body under ``request``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._send({"status": "ok"} if self.path == "/health" else {"error": "not found"},
                   200 if self.path == "/health" else 404)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        tokens = [body["prompt"][-1]] * int(body["n_predict"])
        self._send({"content": "", "tokens": tokens, "request": body,
                    "timings": {"prompt_n": len(body["prompt"]), "prompt_ms": 1.0,
                                "predicted_n": len(tokens), "predicted_ms": 2.0}})

    def _send(self, payload: dict, status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", required=True)
    opts, _ = parser.parse_known_args()
    if os.environ.get("FAKE_SERVER_FAIL"):
        raise SystemExit("fake server: told to fail")
    child = subprocess.Popen(["sleep", "300"])
    with open(os.environ["FAKE_SERVER_PIDS"], "w") as handle:
        handle.write(f"{os.getpid()} {child.pid}\n")
    ThreadingHTTPServer(("127.0.0.1", opts.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
