"""Learn the extractor's evidence weights from every labelled corpus and write them.

    .venv/bin/python scripts/fit_evidence.py          # writes extraction/evidence_weights.py
    .venv/bin/python scripts/fit_evidence.py --check  # exit 1 if the file is out of date

Needs ../shared/corpus beside the repository (the weights are learned from it too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from data.corpus_eval import OWN_CORPUS, SHARED_CORPUS, evidence_examples, load_cases  # noqa: E402
from data.families import family_cases  # noqa: E402
from guard_inbox.extraction.evidence import FEATURES, VETOES, Weights  # noqa: E402
from guard_inbox.extraction.learning import fit  # noqa: E402

TARGET = ROOT / "app" / "guard_inbox" / "extraction" / "evidence_weights.py"


def render(weights: Weights, examples: int) -> str:
    lines = [
        '"""Evidence weights learned by scripts/fit_evidence.py from both labelled corpora and the',
        f"test-mail families ({examples} candidate tokens); regenerate with that script, do not edit.",
        '"""',
        "",
        f"BIAS = {weights.bias!r}",
        "WEIGHTS: dict[str, float] = {",
    ]
    for feature in FEATURES:
        if feature.name in VETOES:
            continue
        lines.append(f"    {feature.name!r}: {weights.weights.get(feature.name, 0.0)!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare with the committed file")
    args = parser.parse_args()
    if not (SHARED_CORPUS / "labels.jsonl").is_file():
        print(f"the shared corpus is missing at {SHARED_CORPUS}", file=sys.stderr)
        return 2
    cases = load_cases(OWN_CORPUS, "own") + load_cases(SHARED_CORPUS, "shared") + family_cases()
    examples = evidence_examples(cases)
    text = render(fit(examples), len(examples))
    if args.check:
        same = TARGET.read_text(encoding="utf-8") == text
        print("evidence weights are up to date" if same else "evidence weights are stale: run the script")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} from {len(examples)} candidates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
