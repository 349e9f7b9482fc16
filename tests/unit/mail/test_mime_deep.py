"""MIME nested thousands of levels deep: the parts above the depth cap are read, not lost."""

from __future__ import annotations

import base64

import pytest

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
