"""An OpenAI-compatible chat-completions server on loopback that answers as a script says.

Each request to `/v1/chat/completions` takes the next step of the script:

- `Reply(content)`: a well-formed completion with this text (and token usage);
- `Status(code, retry_after=None)`: an HTTP error with an OpenAI-style error body;
- `Hang(seconds)`: accept the request and say nothing for that long;
- `Raw(body)`: status 200 with this body (malformed JSON, say).

When the script runs out the server answers 500, so a test that expected fewer
calls fails loudly. Inspect's real `openai-api` provider talks to it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    content: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Status:
    code: int
    retry_after: float | None = None


@dataclass(frozen=True)
class Hang:
    seconds: float


@dataclass(frozen=True)
class Raw:
    body: str


Step = Reply | Status | Hang | Raw


Responder = Callable[[dict[str, Any]], Step]
"""Chooses the step from the request itself (its messages), for concurrent samples."""


class FakeOpenAI:
    """The server's state: the script (or a responder), and what it was asked."""

    def __init__(self, script: Sequence[Step] | Responder) -> None:
        self.script = script if callable(script) else list(script)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.address = ""

    def next_step(self, request: dict[str, Any]) -> Step:
        with self.lock:
            self.requests.append(request)
            if callable(self.script):
                return self.script(request)
            return self.script.pop(0) if self.script else Status(500)


def _completion(step: Reply, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": step.content},
                "finish_reason": step.finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


def _handler(server_state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode()
            # the client may have given up already (a hung request it abandoned)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            step = server_state.next_step(request)
            if isinstance(step, Reply):
                self._send(200, json.dumps(_completion(step, request.get("model", "m"))))
            elif isinstance(step, Status):
                headers = {"Retry-After": str(step.retry_after)} if step.retry_after else {}
                error = {"error": {"message": f"scripted {step.code}", "type": "server_error"}}
                self._send(step.code, json.dumps(error), headers)
            elif isinstance(step, Hang):
                time.sleep(step.seconds)
                self._send(200, json.dumps(_completion(Reply("too late"), "m")))
            else:
                self._send(200, step.body)

    return Handler


@contextmanager
def fake_openai(script: Sequence[Step] | Responder) -> Iterator[FakeOpenAI]:
    """The server running on a free loopback port while the block runs; stopped after."""
    state = FakeOpenAI(script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.address = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
