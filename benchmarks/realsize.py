"""A realistic mailbox for benchmarks: real messages at real sizes, as many as asked for.

Throughput measured on three-line test messages says nothing about a scan of a real inbox,
where the average message is ~14 KB, mostly HTML campaigns (multipart/alternative with real
markup, quoted-printable or base64, various charsets) and a few plain ones.  So the messages
here are the real ones of tests/data/corpus and, when it is beside the repository, the shared
corpus, cycled in a seeded order with a fresh Message-ID, Date and MIME boundaries each, so that
every message is real mail and still a message of its own: ids are unique, dates spread out,
and no boundary repeats (the stdlib parser compiles a regex per boundary, and a cycled corpus
would otherwise find each one in the regex cache, which a real mailbox never does).

    from realsize import realsize_messages, write_realsize_mbox
    write_realsize_mbox(path, 10_000)        # ~140 MB mboxrd, in a few seconds
    for raw in realsize_messages(500): ...

    python benchmarks/realsize.py OUT.mbox [COUNT]

Pathological giants (over 150 KB, e.g. a 1.4 MB quoted-printable page) and HTML stubs under
3 KB are left out, and 94 in 100 messages are HTML ones, so the mix stays near the size and
kind of a shop's campaigns (13.8 KB average with both corpora).
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path

__all__ = ["realsize_messages", "write_realsize_mbox"]

ROOT = Path(__file__).resolve().parents[1]
CORPORA = (ROOT / "tests" / "data" / "corpus", ROOT.parent / "shared" / "corpus")
MAX_BYTES = 150_000
MIN_HTML_BYTES = 3_000  # a 1 KB "HTML campaign" is a test stub, not what an inbox is made of
PLAIN_SHARE = 0.06  # a few messages have no HTML part
_START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REPLACED = re.compile(rb"^(?:message-id|date)[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)", re.I | re.M)
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))', re.IGNORECASE)


@lru_cache(maxsize=1)
def _pool() -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The real messages, read once per process: (with an HTML part, plain only)."""
    html: list[bytes] = []
    plain: list[bytes] = []
    for corpus in CORPORA:
        if not corpus.is_dir():
            continue
        for path in sorted(corpus.rglob("*.eml")):
            raw = path.read_bytes()
            if raw.startswith(b"From "):  # an mbox separator line kept in the file
                raw = raw.split(b"\n", 1)[-1]
            if len(raw) > MAX_BYTES or not raw.strip():
                continue
            if b"text/html" not in raw.lower():
                plain.append(raw)
            elif len(raw) >= MIN_HTML_BYTES:
                html.append(raw)
    if not html:
        raise FileNotFoundError(f"no .eml messages found in {CORPORA[0]}")
    return tuple(html), tuple(plain or html)


def _deck(seed: int) -> list[bytes]:
    """One round of the cycle: every HTML message once, plain ones to make up PLAIN_SHARE."""
    html, plain = _pool()
    rng = random.Random(seed)
    plain_count = round(len(html) * PLAIN_SHARE / (1 - PLAIN_SHARE))
    deck = list(html) + [plain[i % len(plain)] for i in range(plain_count)]
    rng.shuffle(deck)
    return deck


def _restamped(raw: bytes, index: int, seed: int) -> bytes:
    """``raw`` with its Message-ID and Date replaced by fresh ones (line endings kept)."""
    end = _HEADER_END.search(raw)
    split = end.start() if end else len(raw)
    head, rest = raw[:split], raw[split:]
    eol = b"\r\n" if b"\r\n" in head[:2000] else b"\n"
    when = _START + timedelta(minutes=37 * index + seed)
    fresh = (b"Message-ID: <%d.%d.realsize@guard-inbox.invalid>%sDate: %s%s"
             % (seed, index, eol, format_datetime(when).encode("ascii"), eol))
    raw = fresh + _REPLACED.sub(b"", head).strip(b"\r\n") + rest
    boundaries = {quoted or bare for quoted, bare in _BOUNDARY.findall(raw)}
    if not boundaries:
        return raw
    # Longest first, so that a boundary that starts another one does not cut it in two.
    either = b"|".join(re.escape(b) for b in sorted(boundaries, key=len, reverse=True))
    suffix = b".%d" % index
    return re.sub(either, lambda found: found.group() + suffix, raw)


def realsize_messages(count: int, seed: int = 0) -> Iterator[bytes]:
    """``count`` real-size raw messages (RFC 5322 bytes), the same ones for the same seed."""
    deck = _deck(seed)
    for index in range(count):
        yield _restamped(deck[index % len(deck)], index, seed)


def write_realsize_mbox(path: Path | str, count: int, seed: int = 0) -> None:
    """``count`` messages as an mboxrd file (From_ line, >From quoting), as Takeout writes it."""
    with Path(path).open("wb") as handle:
        for raw in realsize_messages(count, seed):
            handle.write(b"From realsize@guard-inbox.invalid Mon Jan  6 08:00:00 2025\n")
            handle.write(_FROM_LINE.sub(rb">\1", raw))
            handle.write(b"\n" if raw.endswith(b"\n") else b"\n\n")


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    count = int(argv[1]) if len(argv) > 1 else 10_000
    write_realsize_mbox(argv[0], count)
    size = Path(argv[0]).stat().st_size
    print(f"wrote {count} messages, {size / 1e6:.1f} MB ({size / count / 1000:.1f} KB average)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
