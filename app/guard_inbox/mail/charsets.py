"""Bytes -> text for mail that lies about, or never states, how it is encoded.

Kept apart from the MIME walk in mime.py: the same guessing serves bodies, RFC 2047 header
words and raw 8-bit headers, and it is where most real-world breakage is absorbed.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

_SURROGATES = re.compile("[\udc80-\udcff]+")
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_QP_SOFT_BREAK = re.compile(rb"=[ \t]*\r?\n")
_QP_RUN = re.compile(rb"(?:=[0-9A-Fa-f]{2})+")
_HIGH_BYTES = bytes(range(128, 256))
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Labels that are often on UTF-8 text by mistake; and supersets that senders really used.
_OFTEN_REALLY_UTF8 = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
# Codecs (Python's names) that never decode to a lone surrogate: UTF-8 rejects encoded ones,
# and these single-byte tables map no byte to one (test_mime checks every byte).
SURROGATE_FREE = frozenset(
    {"utf-8", "ascii", "iso8859-1", "iso8859-2", "iso8859-15", "cp1250", "cp1251",
     "cp1252", "cp1253", "cp1254", "cp1257", "koi8-r"}
)
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Bytes -> str by the declared charset when it fits, else the likeliest; plus a note.

    Never returns lone surrogates (utf-7 and unicode-escape decode to them): no database
    stores them, and one in a subject used to fail the checkpoint and the whole scan.
    """
    text, note, checked = _decode_text(data, charset)
    if checked:  # a codec that cannot make one: the scan of a whole body is saved
        return text, note
    clean = without_lone_surrogates(text)
    if clean != text:
        return clean, note or "invalid characters replaced"
    return text, note


def without_lone_surrogates(text: str) -> str:
    """Each lone surrogate -> U+FFFD: UTF-8 (and so every database) cannot hold one."""
    if text.isascii():  # checked in C at memory speed; most text is ASCII
        return text
    return _LONE_SURROGATES.sub("\ufffd", text)


def _decode_text(data: bytes, charset: str | None) -> tuple[str, str | None, bool]:
    """decode_text's work, and whether the codec used cannot have made a lone surrogate."""
    label = _label(charset)
    codec = _codec_for(label)
    note = f"unknown charset {label!r}" if label and codec is None else None
    if codec is not None:
        if codec in _OFTEN_REALLY_UTF8 and not data.isascii():
            try:
                return data.decode("utf-8"), f"text labelled {label} was really utf-8", True
            except UnicodeDecodeError:
                pass
        used = _SUPERSETS.get(codec, codec)
        try:
            return data.decode(used), None, used in SURROGATE_FREE
        except (UnicodeError, LookupError):
            note = f"text did not match its charset {label!r}"
    try:
        return data.decode("utf-8"), note, True
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", errors="replace")
    invalid = as_utf8.count("\ufffd")
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if high - invalid > invalid:  # mostly valid multi-byte sequences: UTF-8 with a few bad bytes
        return as_utf8, note or "invalid utf-8 replaced", True
    try:
        return data.decode("cp1252"), note or "no usable charset; read as cp1252", True
    except UnicodeDecodeError:
        return data.decode("latin-1"), note or "no usable charset; read as latin-1", True


def decode_words(value: str) -> str:
    """RFC 2047 by hand: tolerant of bad base64, unknown charsets and stray whitespace."""
    if "\n" in value:
        value = _FOLD.sub("", value)
    if "=?" not in value:  # no encoded word (most headers): nothing more to do
        return value
    value = _BETWEEN_WORDS.sub(r"\1\2", value)
    return _ENCODED_WORD.sub(_decode_word, value)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.groups()
    data = payload.encode("utf-8", errors="surrogateescape")
    try:
        if encoding in "bB":
            raw = base64.b64decode(data + b"=" * (-len(data) % 4), validate=False)
        else:
            raw = binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_text(raw, charset.split("*", 1)[0])[0]


def unescape_8bit(value: str) -> str:
    """Raw 8-bit bytes in headers arrive as surrogate escapes; decode each run as text."""
    return _SURROGATES.sub(
        lambda run: decode_text(run.group().encode("ascii", errors="surrogateescape"), None)[0],
        value,
    )


def lenient_qp(encoded: bytes, charset: str | None) -> bytes:
    """Quoted-printable decoding that leaves =XX as written where its bytes are not text."""
    codec = _codec_for(_label(charset)) or "utf-8"

    def run(match: re.Match[bytes]) -> bytes:
        escapes = match.group()
        raw = binascii.a2b_hex(escapes.replace(b"=", b""))
        out, start = bytearray(), 0
        while start < len(raw):
            try:
                raw[start:].decode(codec)
            except UnicodeDecodeError as err:
                bad = start + err.start
                out += raw[start:bad] + escapes[3 * bad : 3 * bad + 3]
                start = bad + 1
            else:
                out += raw[start:]
                break
        return bytes(out)

    return _QP_RUN.sub(run, _QP_SOFT_BREAK.sub(b"", encoded))


def _label(charset: str | None) -> str:
    return (charset or "").strip().strip("\"'").lower()


def _codec_for(label: str) -> str | None:
    """Python's codec name for a charset label, or None if unknown or not a text codec."""
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # bytes-to-bytes codecs such as "base64" or "zlib" are not charsets
    return info.name if getattr(info, "_is_text_encoding", True) else None


def trim_partial_utf8(data: bytes) -> bytes:
    """Cutting at a byte limit can split a UTF-8 character; drop its orphaned start."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data[:-back] if needed > back else data
    return data
