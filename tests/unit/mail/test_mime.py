"""parse_message on real and deliberately broken mail: decode what can be decoded, never raise."""

from __future__ import annotations

import base64
import codecs
import hashlib
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guard_inbox.domain.models import MailMessage
from guard_inbox.mail.charsets import SURROGATE_FREE, decode_text, lenient_qp, trim_partial_utf8
from guard_inbox.mail.mime import (
    MAX_DEPTH,
    SNIPPET_CHARS,
    message_id_of,
    parse_message,
    provider_id_for,
)

# tests/unit/mail/test_mime.py -> parents[3] is the repository root.
CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "hamailpkg"
CORPUS_FILES = sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []
CORPUS_IDS = [p.name for p in CORPUS_FILES] or ["absent"]
ABSENT = pytest.param(None, marks=pytest.mark.skip(reason=f"no real-mail corpus at {CORPUS}"))


def corpus_file(name: str) -> bytes:
    if not CORPUS.is_dir():
        pytest.skip(f"no real-mail corpus at {CORPUS}")
    return (CORPUS / name).read_bytes()


def text_mail(body: bytes, *headers: str) -> bytes:
    head = "\n".join(("From: Shop <shop@example.com>", "Subject: Test", *headers))
    return head.encode() + b"\n\n" + body


# -- the real corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_FILES or [ABSENT], ids=CORPUS_IDS)
def test_every_corpus_message_decodes(path: Path) -> None:
    raw = path.read_bytes()
    message = parse_message(raw, provider_id_for(raw))
    assert message.subject.strip() or message.text.strip()
    assert message.text.strip() or message.html.strip()
    assert "\ufffd" not in message.subject
    assert message.date is None or message.date.utcoffset() == timedelta(0)
    assert len(message.snippet) <= SNIPPET_CHARS
    assert message.snippet == " ".join(message.snippet.split())


def test_corpus_forwarded_mail_keeps_date_and_inner_text() -> None:
    raw = corpus_file("informed_delivery_forwarded_email.eml")
    message = parse_message(raw, "fwd")
    assert message.subject.startswith("Fwd: Your Daily Digest")
    assert message.date == datetime(2025, 5, 2, 0, 50, 59, tzinfo=UTC)
    assert "Forwarded message" in message.text
    assert message.sender == "<testuser@fake.email>"


def test_corpus_stray_equals_in_quoted_printable_kept_as_written() -> None:
    message = parse_message(corpus_file("usps_delivered.eml"), "usps")
    assert "tLabels=92001901755477000000000000" in message.html


def test_corpus_boundary_recovered_when_top_level_content_type_missing() -> None:
    message = parse_message(corpus_file("inpost_pl_delivered.eml"), "inpost")
    assert message.subject == "Twoja paczka jest już prawie u Ciebie"
    assert message.snippet.startswith("Przyszło!")
    assert "Content-Transfer-Encoding" not in message.html


def test_corpus_html_before_first_boundary_is_read() -> None:
    message = parse_message(corpus_file("fedex_delivered.eml"), "fedex")
    assert "Your shipment from Almaden was delivered." in message.html


# -- transfer encodings and charsets ------------------------------------------------------------


def test_quoted_printable() -> None:
    raw = text_mail(
        b"Caf=C3=A9: use code SAVE=\n20 now =3D 20% off\n",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    )
    assert parse_message(raw, "x").text == "Café: use code SAVE20 now = 20% off"


def test_base64_with_broken_padding() -> None:
    encoded = base64.b64encode("Grüße, code ABC12".encode()).rstrip(b"=")
    raw = text_mail(
        encoded,
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
    )
    message = parse_message(raw, "x")
    assert message.text == "Grüße, code ABC12"
    assert any("padding" in defect for defect in message.defects)


@pytest.mark.parametrize(
    ("label", "body", "expected"),
    [
        ("utf8", "café".encode(), "café"),
        ("x-unknown", "café".encode(), "café"),
        ("unicode-1-1-utf-7", b"caf+AOk-", "café"),
        ("us-ascii", "café".encode(), "café"),  # the label lies: it is UTF-8
        ("iso-8859-1", "café".encode(), "café"),  # likewise
        ("utf-8", "café ‘quoted’".encode("cp1252"), "café ‘quoted’"),  # lies the other way
        ("iso-8859-1", "it’s".encode("cp1252"), "it’s"),  # really windows-1252
        ("base64", b"plain", "plain"),  # a codec, but not a text encoding
        ('"UTF-8"', "café".encode(), "café"),
    ],
)
def test_wrong_or_unknown_charsets(label: str, body: bytes, expected: str) -> None:
    raw = text_mail(body, f"Content-Type: text/plain; charset={label}")
    assert parse_message(raw, "x").text == expected


def test_mostly_utf8_keeps_good_characters_and_replaces_bad_bytes() -> None:
    assert decode_text(b"caf\xc3\xa9 \xff \xc3\xa9t\xc3\xa9", "utf-8")[0] == "café \ufffd été"


def test_html_meta_charset_used_when_mime_has_none() -> None:
    body = '<html><head><meta charset="windows-1251"></head><body>Привет</body></html>'
    raw = text_mail(body.encode("cp1251"), "Content-Type: text/html")
    assert "Привет" in parse_message(raw, "x").html


def test_lenient_qp_keeps_escapes_that_are_not_text() -> None:
    decoded = lenient_qp(b"caf=C3=A9=92 tLabels=92001=\nX", "utf-8")
    assert decoded == "café=92 tLabels=92001X".encode()


def test_unmarked_quoted_printable_is_decoded() -> None:
    body = b'<p class=3D"a">Use code =\nSPRING25</p>\n<a href=3D"x">shop</a> <b id=3D"c">!</b>\n'
    message = parse_message(text_mail(body, "Content-Type: text/html; charset=utf-8"), "x")
    assert '<p class="a">Use code SPRING25</p>' in message.html


def test_plain_text_with_equals_rules_is_not_mistaken_for_quoted_printable() -> None:
    body = b"Title\n=====\nIntro\n=====\nMore\n=====\nx=1 and y=2\n"
    assert parse_message(text_mail(body), "x").text == body.decode().rstrip()


def test_truncating_a_part_does_not_split_a_character() -> None:
    raw = text_mail(("é" * 5000).encode(), "Content-Type: text/plain; charset=utf-8")
    message = parse_message(raw, "x", max_part_bytes=1001)
    assert message.text == "é" * 500
    assert any("truncated" in defect for defect in message.defects)
    assert trim_partial_utf8("aé".encode()[:2]) == b"a"


# -- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_subject", "expected"),
    [
        (b"=?utf-8?q?Save_20=25_today?=", "Save 20% today"),
        (b"=?UTF-8?B?w6l0w6k=?=", "été"),
        (b"=?utf-8?b?w6l0w6k?=", "été"),  # padding missing
        (b"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # whitespace between words is not content
        (b"=?iso-8859-1?q?caf=E9?= latte", "café latte"),
        (b"=?x-unknown?q?caf=C3=A9?=", "café"),
        (b"=?utf-8?q?Big?=\n =?utf-8?q?_Sale?=", "Big Sale"),  # folded
        (b"Deals=?utf-8?q?_inside?=", "Deals inside"),  # glued to a word
        (b"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
        (b"Caf\xc3\xa9 raw utf-8", "Café raw utf-8"),
        (b"Caf\xe9 raw cp1252", "Café raw cp1252"),
    ],
)
def test_subjects(raw_subject: bytes, expected: str) -> None:
    raw = b"From: a@example.com\nSubject: " + raw_subject + b"\n\nbody\n"
    assert parse_message(raw, "x").subject == expected


def test_sender_and_headers_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=B6rg?= <j@example.de>\nX-Campaign: spring\n"
        b"Subject: Hi\nDate: Mon, 20 Oct 2025 16:02:00 -0500\n\nbody\n"
    )
    message = parse_message(raw, "x")
    assert message.sender == "Jörg <j@example.de>"
    assert ("X-Campaign", "spring") in message.headers
    assert message.header("x-campaign") == "spring"
    assert message.date == datetime(2025, 10, 20, 21, 2, tzinfo=UTC)
    assert message.defects == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 20 Oct 2025 16:02:00 +0000 (UTC)", datetime(2025, 10, 20, 16, 2, tzinfo=UTC)),
        ("Mon, 20 Oct 2025 16:02:00 -0000", datetime(2025, 10, 20, 16, 2, tzinfo=UTC)),
        ("20 Oct 2025 16:02 +0200", datetime(2025, 10, 20, 14, 2, tzinfo=UTC)),
        ("not a date", None),
        ("Mon, 99 Foo 2025 99:99:99 +9999", None),
    ],
)
def test_dates_are_utc_or_none(value: str, expected: datetime | None) -> None:
    message = parse_message(f"Date: {value}\nSubject: d\n\nx\n".encode(), "x")
    assert message.date == expected
    if expected is None:
        assert "unreadable Date header" in message.defects


def test_missing_headers() -> None:
    message = parse_message(b"just a body line\nand another\n", "x")
    assert "just a body line" in message.text
    assert "no From header" in message.defects and "no Date header" in message.defects
    bare = parse_message(b"Subject: hi\n\nplain body, no Content-Type\n", "x")
    assert bare.text == "plain body, no Content-Type"
    empty = parse_message(b"", "empty")
    assert (empty.provider_id, empty.subject, empty.text) == ("empty", "", "")


# -- structure ----------------------------------------------------------------------------------


def test_multipart_with_no_boundary_parameter_guesses_it() -> None:
    raw = text_mail(
        b"--abc\nContent-Type: text/plain\n\nhello\n"
        + b"--abc\nContent-Type: text/html\n\n<p>hi</p>\n--abc--\n",
        "Content-Type: multipart/alternative",
    )
    message = parse_message(raw, "x")
    assert (message.text, message.html) == ("hello", "<p>hi</p>")
    assert any("guessed" in defect for defect in message.defects)


def test_multipart_with_no_boundary_anywhere_is_read_as_text() -> None:
    raw = text_mail(b"nothing but words\n", "Content-Type: multipart/mixed")
    assert parse_message(raw, "x").text == "nothing but words"


def test_forwarded_message_text_is_included() -> None:
    raw = b"""From: me@example.org
Subject: Fwd: deal
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

See below.
--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="deal.eml"

From: Shop <news@shop.example>
Subject: Inner deal
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

Use code FWD10.
--inner
Content-Type: text/html; charset=utf-8

<p>Use code <b>FWD10</b>.</p>
--inner--
--outer--
"""
    message = parse_message(raw, "x")
    assert message.subject == "Fwd: deal"
    assert message.text.startswith("See below.")
    assert "Subject: Inner deal" in message.text
    assert "From: Shop <news@shop.example>" in message.text
    assert "Use code FWD10." in message.text
    assert message.html == "<p>Use code <b>FWD10</b>.</p>"


def nested(levels: int) -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(levels)
    )
    tail = b"".join(b"\n--b%d--" % i for i in reversed(range(levels)))
    return b"Subject: deep\n" + head + b"Content-Type: text/plain\n\ndeep text" + tail + b"\n"


def test_nesting_below_the_cap_is_read() -> None:
    assert parse_message(nested(MAX_DEPTH - 1), "x").text == "deep text"


def test_nesting_beyond_the_cap_is_skipped_with_a_defect() -> None:
    message = parse_message(nested(MAX_DEPTH + 10), "x")
    assert message.subject == "deep" and message.text == ""
    assert any("nested deeper" in defect for defect in message.defects)


def test_nesting_too_deep_for_the_parser_is_read_part_by_part_up_to_the_cap() -> None:
    message = parse_message(nested(1500), "x")  # the stdlib parser's recursion gives up here
    assert message.subject == "deep" and message.text == ""  # 1,500 levels down: past the cap
    assert any("read part by part" in defect for defect in message.defects)
    assert not any("read as plain text" in defect for defect in message.defects)


def test_binary_attachments_skipped_text_ones_kept() -> None:
    pdf = base64.b64encode(b"%PDF-1.4 secret binary").decode()
    raw = f"""From: a@example.com
Subject: files
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain

Body text.
--m
Content-Type: application/pdf; name="a.pdf"
Content-Disposition: attachment; filename="a.pdf"
Content-Transfer-Encoding: base64

{pdf}
--m
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

Attached notes.
--m--
""".encode()
    message = parse_message(raw, "x")
    assert message.text == "Body text.\nAttached notes."
    assert "PDF" not in message.text


# -- snippet ------------------------------------------------------------------------------------


def test_snippet_collapses_whitespace_and_is_short() -> None:
    message = parse_message(text_mail(b"Hello\n\n\t  there   " + b"word " * 100), "x")
    assert message.snippet.startswith("Hello there word word")
    assert len(message.snippet) <= SNIPPET_CHARS


def test_snippet_from_html_when_there_is_no_text() -> None:
    body = (
        b"<html><head><style>p{color:red}</style><title>T</title></head><body>"
        b"<script>var x=1;</script><!-- hidden --><p>Hi&nbsp;there &amp; \xe2\x80\x8bwelcome</p>"
        b"</body></html>"
    )
    message = parse_message(text_mail(body, "Content-Type: text/html; charset=utf-8"), "x")
    assert message.snippet == "Hi there & welcome"


def test_nul_characters_are_dropped() -> None:
    assert parse_message(text_mail(b"a\x00b"), "x").text == "ab"


# -- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <Abc.123@Example.COM>\n\nbody", "Abc.123@Example.COM"),
        (b"Subject: x\nMessage-Id:\n  <folded@example.com>\n\nbody", "folded@example.com"),
        (b"\n\nMESSAGE-ID: <a@b> (comment)\n\nbody", "a@b"),
        (b"Message-ID: bare@example.com\n\n", "bare@example.com"),
        (b"Resent-Message-ID: <r@b>\n\nbody", None),
        (b"Subject: x\n\nMessage-ID: <in-body@b>\n", None),
        (b"Message-ID: <>\n\n", None),
    ],
)
def test_message_id_of(raw: bytes, expected: str | None) -> None:
    assert message_id_of(raw) == expected


def test_provider_id_falls_back_to_a_content_hash() -> None:
    raw = b"Subject: no id\n\nbody\n"
    assert provider_id_for(raw) == "sha1:" + hashlib.sha1(raw).hexdigest()
    assert provider_id_for(b"Message-ID: <x@y>\n\n" + b"z" * 10_000_000) == "x@y"


# -- never raises -------------------------------------------------------------------------------

NASTY = [
    b"",
    b"\x00" * 1000,
    b"\xff\xfe\xfd",
    b"\xef\xbb\xbfSubject: bom\n\nbody",
    b'Content-Type: multipart/mixed; boundary=""\n\n--\n\n----\n',
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n--x--\n",
    b"Subject: " + b"=?" * 5000 + b"\n\n",
    b"Content-Type: text/plain; charset*=utf-8''%ZZ; charset=\"\n\nx",
    b"Content-Type: message/rfc822\n\n",
    b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!!====",
    b"Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n!!!\nend\n",
    b"Date: Mon, 20 Oct 99999 16:02:00 +0000\nFrom: <<<@>>>\n\n",
    b"From: " + b'"a\\' * 2000 + b"\n\n",
    b"Content-Type: text/html; charset=idna\n\n\xff\xfe",
]


@pytest.mark.parametrize("raw", NASTY, ids=range(len(NASTY)))
def test_nasty_inputs_do_not_raise(raw: bytes) -> None:
    assert isinstance(parse_message(raw, "nasty"), MailMessage)


def test_random_mutations_do_not_raise() -> None:
    base = bytearray(nested(3).replace(b"deep text", "Grüße =?utf-8?q?x?=".encode()))
    rng = random.Random(20240101)
    for _ in range(400):
        raw = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            where = rng.randrange(len(raw))
            choice = rng.random()
            if choice < 0.4:
                raw[where] = rng.randrange(256)
            elif choice < 0.7:
                raw[where:where] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
            else:
                del raw[where : where + rng.randint(1, 30)]
        message = parse_message(bytes(raw), "fuzz")
        assert message.provider_id == "fuzz"
    for _ in range(100):
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
        assert isinstance(parse_message(junk, "junk"), MailMessage)


def test_overlong_message_ids_fall_back_to_a_hash_that_fits_the_column() -> None:
    raw = b"Message-ID: <" + b"t" * 700 + b"@tracker.example>\nSubject: x\n\nbody"
    assert message_id_of(raw) is None
    pid = provider_id_for(raw)
    assert pid.startswith("sha1:") and len(pid) <= 512
    assert message_id_of(b"Message-ID: <" + b"a" * 480 + b"@x>\n\nbody") == "a" * 480 + "@x"


@pytest.mark.parametrize("codec", sorted(SURROGATE_FREE))
def test_codecs_trusted_to_make_no_surrogate_make_none(codec: str) -> None:
    """decode_text skips its surrogate scan after these codecs: each is Python's own name for
    itself, and no byte (or, for UTF-8, no encoded surrogate) decodes to a lone surrogate."""
    assert codecs.lookup(codec).name == codec
    every = bytes(range(256)) + "\ud800".encode("utf-8", "surrogatepass") + b"\xed\xbf\xbf"
    assert not re.search("[\ud800-\udfff]", every.decode(codec, errors="replace"))
