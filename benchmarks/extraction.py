"""Extraction benchmark: precision/recall per layer and rules-path throughput on one core.

Baseline in the same run: a naive regex extractor (``[A-Z0-9]{5,15}`` within 40 characters of
the word "code"), the kind of peer that reported 117 candidates of which 6 were real codes.

    python benchmarks/extraction.py [--seconds 2]

Corpora: tests/data/corpus (ours, dev and holdout splits) and, when present, the shared corpus
of real company mail beside the repository.  Throughput is single-threaded and pinned to one
CPU where the OS allows; "parse excluded" starts from decoded MailMessages, "parse included"
from the raw .eml bytes through the app's MIME decoder.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from data.corpus_eval import OWN_CORPUS, SHARED_CORPUS, Case, Score, load_cases, score  # noqa: E402
from guard_inbox.domain.models import FoundCode, MailMessage  # noqa: E402
from guard_inbox.extraction.pipeline import ExtractionPipeline  # noqa: E402
from guard_inbox.extraction.rules import RuleExtractor  # noqa: E402
from guard_inbox.extraction.text import message_text  # noqa: E402
from guard_inbox.mail.mime import parse_message  # noqa: E402

_NAIVE_TOKEN = re.compile(r"\b[A-Z0-9]{5,15}\b")
_NAIVE_CUE = re.compile(r"code", re.IGNORECASE)


class NaiveRegexExtractor:
    """The baseline: any 5-15 character capitals/digits token within 40 characters of "code"."""

    def extract(self, message: MailMessage) -> list[FoundCode]:
        text = f"{message.subject}\n{message_text(message)}"
        found: dict[str, FoundCode] = {}
        for cue in _NAIVE_CUE.finditer(text):
            window = text[max(0, cue.start() - 40) : cue.end() + 40]
            for token in _NAIVE_TOKEN.findall(window):
                found.setdefault(token.casefold(), FoundCode(code=token, source="naive"))
        return list(found.values())


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def rate(work: Callable[[], int], seconds: float) -> float:
    """Messages per second of ``work`` (which returns how many it handled), after a warm-up."""
    work()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += work()
    return done / (time.perf_counter() - start)


def quality_table(groups: Sequence[tuple[str, list[Case]]]) -> None:
    pipeline = ExtractionPipeline()
    naive = NaiveRegexExtractor()
    print(f"{'corpus':<16}{'extractor':<22}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}")
    for name, cases in groups:
        rows: list[tuple[str, Score]] = [
            ("ours: overall", score(cases, pipeline.extract)),
            ("ours: markup layer", score(cases, pipeline.extract, source="markup")),
            ("ours: rules layer", score(cases, pipeline.extract, source="rules")),
            ("baseline: naive regex", score(cases, naive.extract)),
        ]
        for label, result in rows:
            print(
                f"{name:<16}{label:<22}{result.precision:>7.3f}{result.recall:>7.3f}{result.f1:>7.3f}"
                f"{result.tp:>6}{result.fp:>6}{result.fn:>6}"
            )
        print(f"{'':<16}({len(cases)} messages, {sum(len(c.expected) for c in cases)} labelled codes)")
    print(
        "(layer rows count the codes that layer owns in the merged output -- markup wins a code both\n"
        " layers find -- so a layer's recall is its share of all labelled codes)"
    )


def throughput_table(cases: list[Case], raws: list[bytes], seconds: float) -> None:
    messages = [case.message for case in cases]
    rules, pipeline, naive = RuleExtractor(), ExtractionPipeline(), NaiveRegexExtractor()

    def over_messages(extract: Callable[[MailMessage], list[FoundCode]]) -> Callable[[], int]:
        def work() -> int:
            for message in messages:
                extract(message)
            return len(messages)

        return work

    def over_raw(extract: Callable[[MailMessage], list[FoundCode]]) -> Callable[[], int]:
        def work() -> int:
            for index, raw in enumerate(raws):
                extract(parse_message(raw, str(index)))
            return len(raws)

        return work

    print(f"\n{'throughput (messages/s, one core)':<44}{'parse excluded':>16}{'parse included':>16}")
    for label, extract in (
        ("ours: rules path (RuleExtractor)", rules.extract),
        ("ours: full pipeline (markup + rules)", pipeline.extract),
        ("baseline: naive regex", naive.extract),
    ):
        excluded = rate(over_messages(extract), seconds)
        included = rate(over_raw(extract), seconds)
        print(f"{label:<44}{excluded:>16.0f}{included:>16.0f}")
    parse_only = rate(over_raw(lambda message: []), seconds)
    print(f"{'MIME parse alone (for reference)':<44}{'':>16}{parse_only:>16.0f}")
    print(f"(throughput corpus: {len(messages)} decoded messages, {len(raws)} raw .eml files)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="time per throughput measurement")
    args = parser.parse_args()
    print(f"guard-inbox extraction benchmark ({pin_one_core()})\n")
    own = load_cases(OWN_CORPUS, "own")
    shared = load_cases(SHARED_CORPUS, "shared")
    groups = [
        ("own: dev", [c for c in own if c.split == "dev"]),
        ("own: holdout", [c for c in own if c.split == "holdout"]),
    ]
    if shared:
        groups.append(("shared (real)", shared))
    else:
        print(f"(shared corpus not found at {SHARED_CORPUS}; skipped)\n")
    groups.append(("all", own + shared))
    quality_table(groups)
    raws = [(OWN_CORPUS / c.label["file"]).read_bytes() for c in own]
    raws += [
        (SHARED_CORPUS / c.label["file"]).read_bytes() for c in shared if c.label["file"].endswith(".eml")
    ]
    throughput_table(own + shared, raws, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
