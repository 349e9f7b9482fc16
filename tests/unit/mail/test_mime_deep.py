"""MIME nested thousands of levels deep: the parts above the depth cap are read, not lost."""

from __future__ import annotations

import base64
import dataclasses
import random
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from guard_inbox.domain.models import MailMessage
from guard_inbox.mail import mime, mime_deep
from guard_inbox.mail.mime import MAX_DEPTH, parse_message


def nested(levels: int, *, top: bytes, at_depth: tuple[int, bytes] | None = None,
           after: bytes = b"") -> bytes:
    """multipart/mixed nested ``levels`` deep; ``top`` is the outermost first part, ``at_depth``
    a part placed that many levels down, ``after`` a part following the whole nested chain."""
    out = [b"From: Shop <news@shop.example>\r\nSubject: Deep\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n",
           b"--b0\r\n" + top + b"\r\n", b"--b0\r\nContent-Type: multipart/mixed; boundary=\"chain0\"\r\n\r\n"]
    for i in range(1, levels):
        if at_depth and at_depth[0] == i:
            out.append(b"--chain%d\r\n" % (i - 1) + at_depth[1] + b"\r\n")
        out.append(b"--chain%d\r\nContent-Type: multipart/alternative; boundary=\"chain%d\"\r\n\r\n"
                   % (i - 1, i))
    out.append(b"--chain%d\r\nContent-Type: text/plain\r\n\r\nthe innermost part\r\n" % (levels - 1))
    out.extend(b"--chain%d--\r\n" % i for i in range(levels - 1, -1, -1))
    if after:
        out.append(b"--b0\r\n" + after + b"\r\n")
    out.append(b"--b0--\r\n")
    return b"".join(out)


BASE64_CODE = (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               + base64.b64encode(b"Use code DEEP20 at checkout for 20% off."))
HTML_CODE = (b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
             b"<p>Your code: <b>HTML=\r\nCODE30</b></p>")


@pytest.mark.parametrize("levels", [1_000, 10_000])
def test_parts_above_the_cap_are_decoded_however_deep_the_nesting(levels: int) -> None:
    raw = nested(levels, top=BASE64_CODE, at_depth=(5, HTML_CODE),
                 after=b"Content-Type: text/plain\r\n\r\nP.S. code AFTER40 too")
    message = parse_message(raw, "deep")
    assert "Use code DEEP20 at checkout" in message.text  # base64, decoded (not raw text)
    assert "HTMLCODE30" in message.html  # quoted-printable html, five levels down
    assert "code AFTER40" in message.text  # the sibling after the chain closes
    assert "the innermost part" not in message.text  # beyond the cap
    assert any(f"deeper than {MAX_DEPTH} levels" in d for d in message.defects)
    assert not any("read as plain text" in d for d in message.defects)
    assert message.subject == "Deep" and message.date is not None


def test_a_trimmed_deep_message_keeps_its_unterminated_last_part() -> None:
    raw = nested(2_000, top=BASE64_CODE)
    raw = raw[: raw.index(b"--chain1999--")] + b"--b0\r\nContent-Type: text/plain\r\n\r\ncut CODE50"
    message = parse_message(raw, "trimmed")
    assert "DEEP20" in message.text and "cut CODE50" in message.text


# -- big messages: read part by part in bounded memory ---------------------------------------------

OWN_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
BIG = mime.BIG_MESSAGE_BYTES + 1_000_000


def traced_peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_a_big_html_body_is_read_in_bounded_memory() -> None:
    row = b"<tr><td class=x>Lots of newsletter filler, row after row.</td></tr>\n"
    raw = (b"From: Big Shop <news@bigshop.example>\r\nSubject: the longest newsletter\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Use code <b>BIGHTML50X</b>"
           b"</p><table>\n" + row * (BIG // len(row)) + b"</table></body></html>\r\n")
    found: list[MailMessage] = []
    peak = traced_peak(lambda: found.append(parse_message(raw, "big", max_part_bytes=2_000_000)))
    message = found[0]
    assert message.subject == "the longest newsletter"
    assert message.html.startswith("<html><body><p>Use code <b>BIGHTML50X</b>")
    assert len(message.html) <= 2_000_000
    assert "text/html part larger than 2000000 bytes was truncated" in message.defects
    assert peak < 3 * len(raw), f"peak {peak / len(raw):.1f}x the message"


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable"])
def test_a_big_attachment_is_skipped_and_big_text_is_cut_where_it_decodes(encoding: str) -> None:
    blob = base64.encodebytes(random.Random(5).randbytes(BIG))
    text = b"Take 20% off with code BIGATTACH50X." + b"=3D" * 3 * 1_000_000
    raw = (b"From: Big Shop <news@bigshop.example>\r\nSubject: invoice\r\n"
           b'Content-Type: multipart/mixed; boundary="BIG"\r\n\r\n--BIG\r\n'
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n%s\r\n"
           b"--BIG\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"%s--BIG--\r\n") % (encoding.encode(), base64.encodebytes(text) if encoding == "base64"
                                 else text, blob)
    found: list[MailMessage] = []
    peak = traced_peak(lambda: found.append(parse_message(raw, "big", max_part_bytes=1_000_000)))
    message = found[0]
    expected = text if encoding == "base64" else text.replace(b"=3D", b"=")
    assert message.text == expected[:1_000_000].decode()
    assert "text/plain part larger than 1000000 bytes was truncated" in message.defects
    assert peak < len(raw), f"peak {peak / len(raw):.1f}x the message"


@pytest.mark.parametrize("path", sorted(OWN_CORPUS.rglob("*.eml")), ids=lambda p: p.name)
def test_reading_part_by_part_gives_what_the_parser_gives(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The big-message path on ordinary mail, every part cut where it would be: same result
    (structural defects of the stdlib parser aside, which a part-by-part reading cannot see)."""
    raw = path.read_bytes()
    whole = parse_message(raw, "x")
    monkeypatch.setattr(mime, "BIG_MESSAGE_BYTES", 0)
    monkeypatch.setattr(mime_deep, "WHOLE_PART_BYTES", 0)
    by_part = parse_message(raw, "x")
    assert dataclasses.replace(by_part, defects=()) == dataclasses.replace(whole, defects=())
