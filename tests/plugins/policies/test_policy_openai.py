"""The openai policy against a small local OpenAI-compatible server started by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.policies.openai_policy import OpenAIPolicy, to_openai_messages
from orchestrl.plugins.rollout.driver import rollout


class ChatServer(BaseHTTPRequestHandler):
    """Answers each POST with the next scripted reply; records every request body."""

    replies: ClassVar[list[Any]] = []
    requests: ClassVar[list[dict]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                    "body": body})
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            return
        message = type(self).replies.pop(0)
        payload = json.dumps({"choices": [{"message": message}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    ChatServer.replies, ChatServer.requests, ChatServer.status = [], [], 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def gold_replies(task) -> list[dict]:
    replies = [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{step.index}", "type": "function",
             "function": {"name": step.function, "arguments": json.dumps(step.arguments)}}]}
        for step in task.steps
    ]
    return [*replies, {"role": "assistant", "content": "Here you go."}]


def test_a_rollout_through_the_endpoint_is_a_gold_trajectory(
    server, train_tasks, make_env, graduated, monkeypatch
):
    monkeypatch.setenv("TEST_KEY", "sk-local")
    task = next(t for t in train_tasks if len(t.steps) >= 3)
    ChatServer.replies = gold_replies(task)
    policy = OpenAIPolicy(base_url=server, model="m", api_key_env="TEST_KEY")
    trajectory = rollout(policy, make_env(), task)
    assert trajectory.stop_reason == "answer" and trajectory.final_answer == "Here you go."
    assert graduated.score(trajectory, task) == pytest.approx(1.0)
    assert len(ChatServer.requests) == len(task.steps) + 1
    last = ChatServer.requests[-1]
    assert last["path"] == "/v1/chat/completions" and last["auth"] == "Bearer sk-local"
    body = last["body"]
    assert body["model"] == "m" and {t["function"]["name"] for t in body["tools"]} == {
        t["name"] for t in task.tools}
    assistant = [m for m in body["messages"] if m["role"] == "assistant"]
    assert all(isinstance(c["function"]["arguments"], str)
               for m in assistant for c in m["tool_calls"])
    tools = [m for m in body["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tools] == [f"c{s.index}" for s in task.steps]


def test_text_format_calls_are_sent_back_as_user_turns(server, train_tasks, make_env):
    task = train_tasks[0]
    step = task.steps[0]
    text = f'<tool_call>{json.dumps({"name": step.function, "arguments": step.arguments})}'
    ChatServer.replies = [{"role": "assistant", "content": text + "</tool_call> <tool_call>{"},
                          {"role": "assistant", "content": "done"}]
    trajectory = rollout(OpenAIPolicy(base_url=server), make_env(), task)
    assert trajectory.calls[0].result.ok and trajectory.calls[1].call is None
    sent = ChatServer.requests[-1]["body"]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[-1]["content"].count("<tool_response>") == 2


def test_server_errors_end_the_rollout_with_error(server, train_tasks, make_env):
    ChatServer.status = 400
    trajectory = rollout(OpenAIPolicy(base_url=server, retries=0), make_env(), train_tasks[0])
    assert trajectory.stop_reason == "error"


def test_base_url_must_be_http():
    with pytest.raises(ConfigError, match="file:///etc"):
        OpenAIPolicy(base_url="file:///etc")


def test_wire_messages_keep_content_and_stringify_arguments():
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]},
        {"role": "tool", "name": "f", "tool_call_id": "a", "content": "{}"},
    ]
    wire = to_openai_messages(messages)
    assert wire[1]["tool_calls"][0]["function"]["arguments"] == '{"x": 1}'
    assert wire[2] == messages[2]
    assert messages[1]["tool_calls"][0]["function"]["arguments"] == {"x": 1}


def test_the_vllm_gpu_experiment_composes_to_the_openai_client(plugin_host, compose_config,
                                                               server, monkeypatch):
    """experiment=vllm_eval: the openai policy pointed at vLLM's server ($VLLM_BASE_URL)."""
    from orchestrl.build import build

    monkeypatch.setenv("VLLM_BASE_URL", server)
    cfg = compose_config("experiment=vllm_eval", "policy.model=trained")
    policy = build(cfg.policy)
    assert isinstance(policy, OpenAIPolicy)
    assert policy.url == server + "/chat/completions" and policy.temperature == 0.0
    ChatServer.replies = [{"role": "assistant", "content": "done"}]
    assert policy.act([{"role": "user", "content": "hi"}], []).text == "done"
    assert ChatServer.requests[0]["body"]["model"] == "trained"
