"""The optional AI layer: an OpenAI-compatible model asked about mail the rules are unsure of.

The model is a suggestion box, never a source of truth.  Every code it returns must be printed
in the message (or in one of its discount links) and survive the rule layer's own shape and
context filters, else it is dropped and counted: that is the guard both against a model that
invents codes and against mail written to instruct the model.  Dates and amounts it reports
are kept only when the text states them too.  A slow, rate-limited, failing or babbling model
costs the message its AI codes and nothing else: ``examine`` never raises for the model's sake.

``openai`` is imported here and nowhere else in the app, and only when the model is first asked:
it takes ~0.7 s, which every command would pay with AI switched on (start-up time).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Self

from guard_inbox.domain.models import Extraction, FoundCode, MailMessage
from guard_inbox.extraction.ai_schema import (
    RESPONSE_SCHEMA,
    SCHEMA_NAME,
    SOURCE,
    SYSTEM_PROMPT,
    BadOutput,
    ModelCode,
    believe,
    parse_output,
    trim_to_budget,
    user_prompt,
)
from guard_inbox.extraction.text import message_text, normalise_whitespace

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

__all__ = ["SOURCE", "AiExtractor", "AiSettings", "AiStats"]
log = logging.getLogger(__name__)

_RESPONSE_FORMAT: ResponseFormatJSONSchema = {
    "type": "json_schema",
    "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": RESPONSE_SCHEMA},
}
_NO_KEY = "no-key"  # local servers (Ollama, LM Studio) ignore the key but the client wants one
_BREAKER_FAILURES = 3  # consecutive transport failures that pause the model ...
_BREAKER_SECONDS = 60.0  # ... for this long, so a dead server doesn't cost every message a timeout


@dataclass(frozen=True, slots=True)
class AiSettings:
    enabled: bool = False
    base_url: str = ""  # blank: OpenAI itself
    model: str = "gpt-4o-mini"
    api_key: str = field(default="", repr=False)
    all_messages: bool = False  # send every message, not only those the rules are unsure of
    token_budget: int = 3000  # approximate tokens of mail text sent per message
    timeout_seconds: float = 20.0


@dataclass(frozen=True, slots=True)
class AiStats:
    """Counters since the extractor was made (a snapshot; the extractor keeps counting)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    accepted: int = 0  # verified codes returned
    added: int = 0  # ... of which the rule layer had not found
    dropped_invented: int = 0  # not printed anywhere in the message
    dropped_filtered: int = 0  # printed, but rejected by the rule layer's filters
    dropped_injection: int = 0  # printed only inside text that instructs a model
    skipped_paused: int = 0  # not asked: the model was paused after repeated failures
    failures: Mapping[str, int] = field(default_factory=dict)  # by kind: timeout, rate_limit, ...

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


_COUNTER_NAMES = tuple(f.name for f in fields(AiStats) if f.name != "failures")


class AiExtractor:
    """Asks an OpenAI-compatible chat model for codes, then believes only what the mail shows."""

    def __init__(
        self,
        settings: AiSettings,
        client: openai.OpenAI | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._client = client
        self._owns_client = client is None
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()
        self._consecutive_failures = 0
        self._paused_until = 0.0

    # -- public surface -------------------------------------------------------------------

    def examine(
        self, message: MailMessage, text: str, rule_codes: Sequence[FoundCode], uncertain: bool
    ) -> Extraction:
        """Verified codes the model finds in ``message`` (none when not asked or on any failure),
        with the tokens this request spent: the caller's job counts them, whatever the thread."""
        if not self.settings.enabled or not (self.settings.all_messages or uncertain):
            return Extraction()
        if not self.settings.api_key and not self.settings.base_url:
            self._failed("no_api_key", message, "no OpenAI API key is set", transport=False)
            return Extraction()
        if self._paused():
            return Extraction()
        subject = normalise_whitespace(message.subject)
        text = text if text.strip() else message_text(message)
        body = trim_to_budget(text, self.settings.token_budget)
        answer, tokens = self._ask(message, user_prompt(subject, message.sender, body, len(body) < len(text)))
        if not answer:
            return Extraction(ai_tokens=tokens)
        return Extraction(tuple(self._believe(message, subject, text, answer, rule_codes)), tokens)

    def extract(
        self, message: MailMessage, text: str, rule_codes: Sequence[FoundCode], uncertain: bool
    ) -> list[FoundCode]:
        """``examine``'s codes alone, for callers that do not count tokens."""
        return list(self.examine(message, text, rule_codes, uncertain).codes)

    @property
    def stats(self) -> AiStats:
        with self._lock:
            counts = {name: self._counts[name] for name in _COUNTER_NAMES}
            failures = MappingProxyType(dict(self._failures))
        return AiStats(**counts, failures=failures)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._owns_client:
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- talking to the model -------------------------------------------------------------

    def _get_client(self) -> openai.OpenAI:
        import openai

        with self._lock:
            if self._client is None:
                self._client = openai.OpenAI(
                    api_key=self.settings.api_key or _NO_KEY,
                    base_url=self.settings.base_url or None,
                    timeout=self.settings.timeout_seconds,
                    max_retries=1,
                )
                self._owns_client = True
            return self._client

    def _ask(self, message: MailMessage, prompt: str) -> tuple[list[ModelCode] | None, int]:
        """The model's codes (None on any failure) and the tokens the request spent."""
        import openai

        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt},
        ]
        self._count("requests")
        try:
            response = self._get_client().chat.completions.create(
                model=self.settings.model, messages=messages, response_format=_RESPONSE_FORMAT
            )
        except openai.OpenAIError as exc:
            kind = _failure_kind(exc)
            self._failed(kind, message, exc, transport=kind != "client_error")
            return None, 0
        with self._lock:
            self._consecutive_failures = 0
        tokens = 0  # a reply that cannot be used was still paid for
        try:
            tokens = self._record_usage(response)
            if not response.choices:
                raise BadOutput("no choices in the response", "empty")
            reply = response.choices[0].message
            if reply.refusal:
                raise BadOutput(f"the model refused: {reply.refusal}", "refusal")
            return parse_output(reply.content), tokens
        except BadOutput as exc:
            self._failed(exc.kind, message, exc, transport=False)
        except (AttributeError, TypeError, ValueError) as exc:  # a body shaped unlike a completion
            self._failed("invalid_output", message, exc, transport=False)
        return None, tokens

    def _record_usage(self, response: ChatCompletion) -> int:
        """Adds the response's tokens to the running stats and returns them."""
        usage = response.usage
        if usage is None:  # some local servers leave it out
            return 0
        prompt, completion = int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)
        with self._lock:
            self._counts["prompt_tokens"] += prompt
            self._counts["completion_tokens"] += completion
        return prompt + completion

    def _paused(self) -> bool:
        with self._lock:
            paused = self._clock() < self._paused_until
            if paused:
                self._counts["skipped_paused"] += 1
        return paused

    def _failed(self, kind: str, message: MailMessage, detail: object, *, transport: bool) -> None:
        """Count and log a failure; the message keeps its rule codes."""
        with self._lock:
            self._failures[kind] += 1
            seen = self._failures[kind]
            pause = False
            if transport:
                self._consecutive_failures += 1
                if self._consecutive_failures >= _BREAKER_FAILURES:
                    self._paused_until = self._clock() + _BREAKER_SECONDS
                    pause = True
        if isinstance(detail, BaseException):
            detail = f"{type(detail).__name__}: {detail}"
        level = logging.WARNING if seen == 1 or seen % 100 == 0 or pause else logging.DEBUG
        log.log(
            level,
            "AI extraction skipped message %s (%s, %d so far%s): %s",
            message.provider_id,
            kind,
            seen,
            f"; pausing the model for {_BREAKER_SECONDS:g} s" if pause else "",
            self._redact(str(detail))[:300],
        )

    def _redact(self, text: str) -> str:
        if self.settings.api_key:
            text = text.replace(self.settings.api_key, "[key]")
        return re.sub(r"\bsk-[\w-]{6,}|\b[Bb]earer\s+\S+", "[key]", text)

    def _count(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] += by

    def _believe(
        self,
        message: MailMessage,
        subject: str,
        text: str,
        answer: Sequence[ModelCode],
        rule_codes: Sequence[FoundCode],
    ) -> list[FoundCode]:
        found, dropped = believe(message, subject, text, answer)
        for code, reason in dropped:
            log.debug("AI code %r dropped from message %s: %s", code, message.provider_id, reason)
        known = {code.code.casefold() for code in rule_codes}
        with self._lock:
            self._counts.update(f"dropped_{reason}" for _, reason in dropped)
            self._counts["accepted"] += len(found)
            self._counts["added"] += sum(code.code.casefold() not in known for code in found)
        return found


def _failure_kind(exc: openai.OpenAIError) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limit"
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}"
    return "client_error"  # e.g. a body that is not a completion at all
