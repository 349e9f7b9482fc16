"""A fake OpenAI-compatible chat-completions endpoint for driving the real ``openai`` client.

Serves ``POST /v1/chat/completions`` on 127.0.0.1 with full-shaped ``chat.completion`` objects,
checks the bearer key and records every request so tests can see what was sent.  Tests script
it through attributes:

* ``content``: the assistant message, either a string or a function of the request JSON;
* ``delay``: seconds to wait before answering (to trip the client's timeout);
* ``status``: answer every request with this HTTP status (429 carries OpenAI's rate-limit body
  and a ``retry-after`` header, other codes a server-error body);
* ``usage``: ``(prompt_tokens, completion_tokens)``; by default estimated from the text sizes;
* ``refusal`` / ``choices``: a refusal message, or an empty ``choices`` list.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from ._http import HTTPReply, HTTPRequest, LoopbackServer

ContentScript = Callable[[dict[str, Any]], str]

RATE_LIMIT_BODY = {
    "error": {
        "message": "Rate limit reached",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}


def _error(status: int, message: str, kind: str, code: str | None, *headers: tuple[str, str]) -> HTTPReply:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return HTTPReply.json(status, body, *headers)


def codes_json(*codes: dict[str, Any] | str) -> str:
    """Structured-output content for ``codes``; a bare string is a code with no details."""
    items = []
    for code in codes:
        item = {"code": code} if isinstance(code, str) else dict(code)
        items.append({"discount": None, "expires": None, "min_spend": None, **item})
    return json.dumps({"codes": items})


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def message(self, role: str) -> str:
        return next(str(m["content"]) for m in self.messages if m.get("role") == role)


class FakeOpenAI:
    """Context manager serving the fake; ``base_url`` is what ``OpenAI(base_url=...)`` takes."""

    def __init__(self, api_key: str = "sk-fake-test-key", model: str = "gpt-fake") -> None:
        self.api_key = api_key
        self.model = model
        self.content: str | ContentScript = '{"codes": []}'
        self.delay = 0.0
        self.status = 200
        self.retry_after = "0.01"
        self.usage: tuple[int, int] | None = None
        self.refusal: str | None = None
        self.choices = True  # False: answer with an empty ``choices`` list
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._server = LoopbackServer(self._handle)

    @property
    def base_url(self) -> str:
        return self._server.base_url + "/v1"

    def __enter__(self) -> Self:
        self._stopping.clear()
        self._server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # wakes a handler sleeping out a `delay`
        self._server.stop()

    def _handle(self, request: HTTPRequest) -> HTTPReply:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error", None
            )
        with self._lock:
            self.requests.append(RecordedRequest(request.path, dict(request.headers), body))
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return _error(
                404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error", None
            )
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            # Deliberately worse than OpenAI (which masks the key): the echo lets tests prove our
            # logs never repeat what the server says about the key.
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            return _error(
                401, f"Incorrect API key provided: {given}.", "invalid_request_error", "invalid_api_key"
            )
        if self.delay and self._stopping.wait(self.delay):
            return _error(503, "server shutting down", "server_error", None)
        if self.status == 429:
            return HTTPReply.json(429, RATE_LIMIT_BODY, ("retry-after", self.retry_after))
        if self.status != 200:
            return _error(
                self.status, "The server had an error while processing your request.", "server_error", None
            )
        content = self.content(body) if callable(self.content) else self.content
        return HTTPReply.json(200, self._completion(body, content))

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        if self.usage is not None:
            prompt, completion = self.usage
        else:
            prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4 + 1
            completion = len(content) // 4 + 1
        choice = {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None if self.refusal else content,
                "refusal": self.refusal,
            },
            "finish_reason": "stop",
            "logprobs": None,
        }
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model),
            "choices": [choice] if self.choices else [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
