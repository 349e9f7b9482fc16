"""Extraction benchmark: leave-one-source-out precision/recall (the headline), in-sample
precision/recall per layer, and rules-path throughput on one core.

Leave-one-source-out: the evidence weights (extraction/evidence_weights.py) are refitted once per
source -- each family directory of tests/data/corpus, hamailpkg, omnivore and each peers project
of the shared corpus, each generated test-mail family (tests/data/families.py) -- with that
source left out, and scored on it.  What it cannot leave out is the hand-written vocabulary
(cues.py) and the vetoes (evidence.py), which were written from the languages, not per message.

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

from data.corpus_eval import (  # noqa: E402
    OWN_CORPUS,
    SHARED_CORPUS,
    Case,
    Score,
    leave_one_source_out,
    load_cases,
    pooled,
    score,
    source_of,
)
from data.families import family_cases  # noqa: E402
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


def _row(label: str, result: Score, width: int = 44) -> str:
    return (f"{label:<{width}}{result.precision:>7.3f}{result.recall:>7.3f}"
            f"{result.tp:>6}{result.fp:>6}{result.fn:>6}")


def loso_table(cases: list[Case]) -> None:
    """The headline: each source scored by weights that never saw it."""
    started = time.perf_counter()
    scores = leave_one_source_out(cases)
    counts: dict[str, tuple[int, int]] = {}
    for case in cases:
        msgs, codes = counts.get(source_of(case), (0, 0))
        counts[source_of(case)] = (msgs + 1, codes + len(case.expected))
    print("LEAVE-ONE-SOURCE-OUT (weights refitted without the source, then scored on it)")
    print(f"{'source':<44}{'P':>7}{'R':>7}{'tp':>6}{'fp':>6}{'fn':>6}   messages/codes")
    for source, result in scores.items():
        msgs, codes = counts[source]
        print(f"{_row(source, result)}   {msgs}/{codes}")
    real = pooled(v for k, v in scores.items() if not k.startswith("family:"))
    families = pooled(v for k, v in scores.items() if k.startswith("family:"))
    everything = pooled(scores.values())
    in_sample = score(cases, ExtractionPipeline().extract)
    naive = score(cases, NaiveRegexExtractor().extract)
    print("-" * 76)
    print(_row("HEADLINE  leave-one-source-out, real mail", real))
    print(_row("          leave-one-source-out, families", families))
    print(_row("          leave-one-source-out, everything", everything))
    print(_row("          in-sample (shipped weights), all", in_sample))
    print(_row("          baseline: naive regex, all", naive))
    print(f"({len(scores)} sources, {len(cases)} messages; {time.perf_counter() - started:.1f} s)")
    for line in (real.false_positives + real.misses)[:12]:
        print(f"  held-out error: {line}")
    print()


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
    big = [raw for raw in raws if len(raw) >= 10_000]
    if big:
        def over_big() -> int:
            for index, raw in enumerate(big):
                pipeline.extract(parse_message(raw, str(index)))
            return len(big)

        average_kb = sum(map(len, big)) // len(big) // 1000
        print(f"{'ours: full pipeline, real-size mail':<44}{'':>16}{rate(over_big, seconds):>16.0f}"
              f"   ({len(big)} messages of 10 KB or more, {average_kb} KB average)")
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
    families = family_cases()
    loso_table(own + shared + families)
    groups.append(("families", families))
    groups.append(("all", own + shared + families))
    quality_table(groups)
    raws = [(OWN_CORPUS / c.label["file"]).read_bytes() for c in own]
    raws += [
        (SHARED_CORPUS / c.label["file"]).read_bytes() for c in shared if c.label["file"].endswith(".eml")
    ]
    throughput_table(own + shared, raws, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
