"""Hypothesis strategies that build hostile raw RFC 5322 messages (bytes), for test_hostile_mail.

Everything a sender (or a broken exporter) gets wrong is on the menu: malformed, duplicate,
overlong and folded headers, RFC 2047 words with bogus charsets and encodings, Content-Types
with missing or lying boundaries, multiparts nested up to 60 deep, transfer encodings with
broken payloads, charsets that do not match the bytes, NUL bytes, very long lines and HTML
with broken tags, scripts and entities. Some leaves carry a promo code, so extraction runs on
the decoded text rather than on noise alone.
"""

from __future__ import annotations

import base64
import quopri

from hypothesis import strategies as st

# Labels a part or an encoded word may declare: real ones, supersets, codecs that are not
# charsets at all, unknown names and plain garbage.
CHARSETS = (
    "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "utf-16le", "utf-32",
    "shift_jis", "iso-2022-jp", "euc-kr", "gb2312", "big5", "koi8-r", "utf-7", "utf-8-sig",
    "x-unknown-charset", "", '"utf-8"', "'latin1'", "base64", "zlib", "rot13", "hex", "idna",
    "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "mbcs", "utf-8*en",
    "x" * 300, "utf-8\x00", "ascii\u00e9", "=?utf-8?", "cp65001", "hz",
)
# Codecs the generator really encodes text with (declared or not).
ENCODE_WITH = (
    "utf-8", "utf-16-le", "utf-16-be", "utf-32", "shift_jis", "iso-2022-jp", "euc-kr",
    "gb18030", "big5", "koi8-r", "cp1252", "latin-1", "utf-7",
)
CONTENT_TYPES = (
    "text/plain", "text/html", "application/octet-stream", "image/png", "message/rfc822",
    "multipart/mixed", "multipart/alternative", "multipart/related", "text/", "/html", ";;;",
    "", "text/plain/html", "TEXT/HTML", "multipart/", "message/delivery-status", "x-garbage",
)
ENCODINGS = (
    "", "7bit", "8bit", "binary", "base64", "quoted-printable", "BASE64", "Quoted-Printable",
    "x-uuencode", "garbage", "base64; foo=bar", "base 64", "\x00",
)
HEADER_NAMES = (
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "Sender", "Content-Type",
    "Content-Transfer-Encoding", "MIME-Version", "Content-Disposition", "Received", "X-Mailer",
    "List-Unsubscribe", "Return-Path", "Resent-From", "DKIM-Signature",
)
TEXT_ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs",), min_codepoint=0, max_codepoint=0x2FFFF
)
HTML_BITS = (
    "<p>", "</p>", "<div", "<br/>", "<script>", "</script>", "<style>", "</style>", "<!--",
    "-->", "<![CDATA[", "]]>", "&amp;", "&#x1F600;", "&#99999999;", "&nbsp", "&bogus;",
    "<a href='http://x.example/?code=SPRING25X'>", "</a>", "<table><tr><td>", "<img alt=\"",
    "<meta charset=shift_jis>", "<meta http-equiv=content-type content='text/html; charset=x'>",
    "<head>", "<title>", "<svg><script>", "<!doctype html>", "<<<>>>", "<a href=\"", "\x00",
    '<script type="application/ld+json">{"@type":"Offer","promoCode":', "}</script>",
)
# Tokens that make badly written regexes backtrack when repeated.
REPEATABLE = ("<!--", "<script>", "<style>", "<a ", "=", "=?", "&#", "<", "--", "\t", "%", "a=")


def promo_code(n: int) -> str:
    return f"HOST{n:04d}Z"


@st.composite
def body_text(draw: st.DrawFn) -> str:
    """Human-ish text, sometimes with a promo code, sometimes with noise around it."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("words", "code", "noise", "long", "nul", "html", "repeat")))
        if kind == "words":
            pieces.append(draw(st.text(TEXT_ALPHABET, max_size=80)))
        elif kind == "code":
            pieces.append(f"Use code {promo_code(draw(st.integers(0, 9999)))} at checkout for 20% off.")
        elif kind == "noise":
            pieces.append(draw(st.binary(max_size=60)).decode("latin-1"))
        elif kind == "long":  # one line far past RFC 5322's 998 characters
            pieces.append(draw(st.sampled_from("xA= <")) * draw(st.integers(1_000, 120_000)))
        elif kind == "nul":
            pieces.append("\x00" * draw(st.integers(1, 50)))
        elif kind == "html":
            pieces.append("".join(draw(st.lists(st.sampled_from(HTML_BITS), max_size=12))))
        else:  # small enough that a quadratic regex costs the fuzzer little
            pieces.append(draw(st.sampled_from(REPEATABLE)) * draw(st.integers(1, 2_500)))
    return draw(st.sampled_from(("\n", "\r\n", " ", ""))).join(pieces)


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    """=?charset?X?payload?= with bogus charsets, unknown encodings and broken payloads."""
    charset = draw(st.sampled_from(CHARSETS)).replace("?", "")
    enc = draw(st.sampled_from("BbQqXx"))
    raw = draw(st.text(TEXT_ALPHABET, max_size=30)).encode(
        draw(st.sampled_from(ENCODE_WITH)), errors="replace"
    )
    if enc in "Bb":
        payload = base64.b64encode(raw).decode()
        if draw(st.booleans()):
            tail = draw(st.sampled_from(("", "=", "!!", "===")))
            payload = payload[: draw(st.integers(0, len(payload)))] + tail
    elif enc in "Qq":
        payload = quopri.encodestring(raw, header=True).decode("latin-1").replace("?", "=3F")
        if draw(st.booleans()):
            payload += draw(st.sampled_from(("=", "=Z", "=4", " ", "_")))
    else:
        payload = draw(st.text(max_size=10))
    return f"=?{charset}?{enc}?{payload}?="


@st.composite
def header_value(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("text", "word", "8bit", "fold", "long", "nul", "addr", "date")))
        if kind == "text":
            parts.append(draw(st.text(TEXT_ALPHABET, max_size=40)))
        elif kind == "word":
            parts.append(draw(encoded_word()))
        elif kind == "8bit":
            parts.append(draw(st.binary(min_size=1, max_size=30)).decode("latin-1"))
        elif kind == "fold":
            parts.append(draw(st.sampled_from(("\r\n ", "\n\t", "\r\n\r\n ", "\n", "\r"))))
        elif kind == "long":
            parts.append("y" * draw(st.integers(998, 300_000)))
        elif kind == "nul":
            parts.append("\x00")
        elif kind == "addr":
            parts.append(draw(st.sampled_from((
                "Shop <news@shop.example>", '"=?utf-8?B?U2hvcA==?=" <a@b.example>', "<<>>@@",
                "undisclosed-recipients:;", "a@", "@b", '"unterminated <x@y>', "(comment",
            ))))
        else:
            parts.append(draw(st.sampled_from((
                "Thu, 01 Jan 2026 00:00:00 +0000", "Thu, 31 Feb 99999 99:99:99 +9999",
                "0", "-1", "yesterday", "Mon, 1 Jan 10000 00:00:00 -2400", "Fri, 13 Dec 1901",
            ))))
    return " ".join(parts)


@st.composite
def header_block(draw: st.DrawFn, content_type: str | None, cte: str) -> list[str]:
    """Header lines, including the part's own Content-Type/Encoding, duplicates and junk."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(("known", "known", "random", "nocolon", "spacename", "empty")))
        value = draw(header_value())
        if kind == "known":
            lines.append(f"{draw(st.sampled_from(HEADER_NAMES))}: {value}")
        elif kind == "random":
            lines.append(f"{draw(st.text(TEXT_ALPHABET, min_size=1, max_size=20))}:{value}")
        elif kind == "nocolon":
            lines.append(value or "no colon here")
        elif kind == "spacename":
            lines.append(f"X Broken Name : {value}")
        else:
            lines.append(f": {value}")
    if content_type is not None:
        lines.insert(draw(st.integers(0, len(lines))), f"Content-Type: {content_type}")
    if cte:
        lines.insert(draw(st.integers(0, len(lines))), f"Content-Transfer-Encoding: {cte}")
    return lines


@st.composite
def content_type_header(draw: st.DrawFn, ctype: str, boundary: str | None) -> str:
    params: list[str] = []
    if draw(st.booleans()):
        params.append(f"charset={draw(st.sampled_from(CHARSETS))}")
    if boundary is not None:
        quote = draw(st.sampled_from(('"', "", "'")))
        params.append(f"boundary={quote}{boundary}{quote}")
    if draw(st.integers(0, 5)) == 0:
        params.append(draw(st.sampled_from(("name*=utf-8''%FF%FE", "name*0*=x", "=", ";;", 'a="b'))))
    return "; ".join([ctype, *params])


def _encode(data: bytes, cte: str, broken: int) -> bytes:
    """The payload in its transfer encoding, damaged according to ``broken`` (0 = intact)."""
    name = cte.lower().split(";")[0].strip()
    if name == "base64":
        out = base64.encodebytes(data)
        if broken == 1:
            out = out[: max(0, len(out) - 3)]  # truncated: bad padding
        elif broken == 2:
            out = out.replace(b"A", b"*").replace(b"Q", b"\xff")
    elif name == "quoted-printable":
        out = quopri.encodestring(data)
        if broken:
            out += b"=Z=\n=4" if broken == 1 else b"=" * 50
    else:
        out = data
    return out


@st.composite
def leaf_part(draw: st.DrawFn) -> tuple[list[str], bytes]:
    """(headers, body) of one non-multipart part."""
    ctype = draw(st.sampled_from(CONTENT_TYPES))
    if ctype.startswith("multipart"):
        boundary_choice = draw(st.sampled_from((None, "", "b" * 200, "a b", '"', "--")))
        header_ctype: str | None = draw(content_type_header(ctype, boundary_choice))
    else:
        header_ctype = draw(st.one_of(st.none(), content_type_header(ctype, None)))
    cte = draw(st.sampled_from(ENCODINGS))
    text = draw(body_text())
    if ctype == "text/html" and draw(st.booleans()):
        text = f"<html><body><p>{text}</p>" + "".join(draw(st.lists(st.sampled_from(HTML_BITS), max_size=8)))
    data = text.encode(draw(st.sampled_from(ENCODE_WITH)), errors="replace")
    if draw(st.integers(0, 30)) == 0:  # a huge part, past mime.py's 5 MB per-part cap
        data += b"<p>filler</p>\n" * draw(st.integers(10_000, 420_000))
    body = _encode(data, cte, draw(st.integers(0, 2)))
    if ctype == "message/rfc822" and draw(st.booleans()):
        inner_headers, inner_body = draw(leaf_part())
        body = _join(inner_headers, inner_body, "\r\n")
    header_list = draw(header_block(header_ctype, cte))
    return header_list, body


def _join(headers: list[str], body: bytes, eol: str) -> bytes:
    head = eol.join(headers).encode("utf-8", errors="surrogateescape")
    return head + (eol * 2).encode() + body


@st.composite
def part_tree(draw: st.DrawFn, depth: int = 0) -> tuple[list[str], bytes]:
    """A part: a leaf, a multipart with lying or missing boundaries, or a deep chain."""
    shape = draw(st.sampled_from(("leaf", "leaf", "multi", "deep"))) if depth < 3 else "leaf"
    if shape == "leaf":
        return draw(leaf_part())
    if shape == "deep":
        return draw(deep_chain())
    boundary = draw(st.sampled_from(("b1", "=_Part_0", "x" * 80, "----", " spaced", "dup"))) + str(depth)
    declared = draw(st.sampled_from((boundary, boundary, None, "other", "")))
    ctype = draw(st.sampled_from(("multipart/mixed", "multipart/alternative", "multipart/related")))
    children = draw(st.lists(part_tree(depth + 1), min_size=0, max_size=3))
    eol = draw(st.sampled_from(("\r\n", "\n")))
    chunks: list[bytes] = [draw(st.sampled_from((b"", b"preamble\n", b"<html><p>before</p>\n")))]
    for headers, body in children:
        chunks.append(f"--{boundary}{eol}".encode() + _join(headers, body, eol) + eol.encode())
    if draw(st.booleans()):  # sometimes the closing boundary never comes
        chunks.append(f"--{boundary}--{eol}".encode())
    headers = draw(header_block(draw(content_type_header(ctype, declared)), ""))
    return headers, b"".join(chunks)


@st.composite
def deep_chain(draw: st.DrawFn) -> tuple[list[str], bytes]:
    """Multiparts nested up to ~60 deep (past mime.py's MAX_DEPTH of 20), a leaf at the bottom."""
    depth = draw(st.integers(2, 60))
    headers, body = draw(leaf_part())
    closed = draw(st.booleans())
    for level in range(depth):
        boundary = f"deep{level}"
        inner = _join(headers, body, "\r\n")
        end = f"\r\n--{boundary}--\r\n".encode() if closed else b"\r\n"
        body = f"--{boundary}\r\n".encode() + inner + end
        ctype = "multipart/mixed" if draw(st.integers(0, 9)) else "message/rfc822"
        headers = [f'Content-Type: {ctype}; boundary="{boundary}"']
    return headers, body


@st.composite
def hostile_message(draw: st.DrawFn) -> bytes:
    """One whole raw message: top headers, then a part tree; sometimes with junk around it."""
    top, body = draw(part_tree())
    extra = draw(header_block(None, ""))
    eol = draw(st.sampled_from(("\r\n", "\n", "\r")))
    raw = _join([*extra, *top], body, eol)
    prefix = draw(st.sampled_from((b"", b"", b"\xef\xbb\xbf", b"\r\n\r\n", b"\x00\x00", b"  ")))
    if draw(st.integers(0, 15)) == 0:
        raw = raw[: draw(st.integers(len(raw) // 2, len(raw)))]  # cut off mid-message
    return prefix + raw
