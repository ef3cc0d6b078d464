"""Fetching a missing response from a real HTTP endpoint, politely.

:class:`HttpFetcher` sends ``GET <base_url><endpoint>?<arguments>`` (the endpoint comes from the
tool schema's description, ``EndPoint: /api/v1/...``; arrays and objects are sent as JSON
text), waits at least ``min_interval_s`` between requests across threads (rate limiting),
gives up after ``timeout_s``, reads at most ``max_bytes`` and accepts only a 2xx JSON answer.
Every failure is a :class:`FetchError` whose message a model can read.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from orchestrl.api import JSON
from orchestrl.plugins.tools.schema import ToolSchema


class FetchError(Exception):
    """The live API gave no usable answer; the message says why."""


class RateLimiter:
    """At most one request per ``min_interval_s``, shared by every thread using it."""

    def __init__(self, min_interval_s: float) -> None:
        self.min_interval_s = max(0.0, float(min_interval_s))
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> float:
        """Block until a request may go; return how long it waited."""
        with self._lock:
            now = time.monotonic()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.min_interval_s
        if delay:
            time.sleep(delay)
        return delay


class HttpFetcher:
    """Answers a call from a real HTTP API (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        min_interval_s: float = 0.2,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the live base url '{base_url}' is not http(s)")
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.limiter = RateLimiter(min_interval_s)

    def url(self, schema: ToolSchema, arguments: Mapping[str, JSON]) -> str:
        """The request URL of a call (query string in sorted parameter order)."""
        endpoint = schema.endpoint or f"/{schema.name}"
        query = urllib.parse.urlencode(
            [(k, _query_value(v)) for k, v in sorted(arguments.items()) if v is not None]
        )
        return f"{self.base_url}{endpoint}" + (f"?{query}" if query else "")

    def fetch(self, schema: ToolSchema, arguments: Mapping[str, JSON]) -> tuple[JSON, str]:
        """The response of the call and the URL that answered; FetchError when none."""
        url = self.url(schema, arguments)
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       **self.headers})
        self.limiter.wait()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                body = answer.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"the live API answered HTTP {exc.code} for '{schema.name}'") from None
        except TimeoutError:
            raise FetchError(f"the live API did not answer '{schema.name}' within "
                             f"{self.timeout_s:g} s") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise FetchError(f"the live API did not answer '{schema.name}' within "
                                 f"{self.timeout_s:g} s") from None
            raise FetchError(f"the live API could not be reached for '{schema.name}' "
                             f"({reason})") from None
        if len(body) > self.max_bytes:
            raise FetchError(f"the live API's answer to '{schema.name}' exceeds "
                             f"{self.max_bytes} bytes")
        try:
            return json.loads(body.decode("utf-8")), url
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise FetchError(f"the live API's answer to '{schema.name}' is not JSON") from None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)
