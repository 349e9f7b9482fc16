"""Turning mail bodies into plain text that the text rules can read.

Promo codes live in what a person *sees*: link text, button labels, image ``alt`` text (codes
are often baked into banner images) and the hidden preheader. What they never see -- CSS,
scripts, conditional comments, ``<head>`` -- is where most false positives come from, so it is
dropped here once instead of being filtered by every rule.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from guard_inbox.domain.models import MailMessage

# Marketing mail is rarely over 200 KB; the cap only stops a pathological body from
# stalling a scan worker.
MAX_HTML_CHARS = 2_000_000

_DROP_TAGS = ("head", "style", "script", "noscript", "template", "svg", "object", "title")

# Elements that start a new visual line.  Table cells count: email layouts put a label
# ("Promo code:") and its value in separate cells, and a line break keeps them apart
# without gluing words together.
_BLOCK_TAGS = (
    "address, article, aside, blockquote, br, center, dd, div, dl, dt, fieldset, figcaption, "
    "figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, pre, "
    "section, table, tbody, td, tfoot, th, thead, tr, ul"
)

# Zero-width and formatting characters that preheader padding and obfuscation rely on.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0]"
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim lines and squeeze blank lines.

    Rules match across single spaces only, so every source of text goes through this to
    make ``Use  code\\u00a0SAVE`` and ``Use code SAVE`` look the same.
    """
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html[:MAX_HTML_CHARS])


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, one block element per line.

    Images become their ``alt`` text and form buttons their label, because retailers put
    codes there; everything invisible by construction (styles, scripts, comments) goes.
    """
    if not html.strip():
        return ""
    tree = _parse(html)
    for node in tree.css(", ".join(_DROP_TAGS)):
        node.decompose()
    for node in tree.css("img"):
        alt = node.attributes.get("alt") or ""
        node.replace_with(f" {alt} " if alt.strip() else " ")
    for node in tree.css("input"):
        kind = (node.attributes.get("type") or "").lower()
        value = node.attributes.get("value") or ""
        node.replace_with(f" {value} " if kind in ("submit", "button") and value else " ")
    for node in tree.css(_BLOCK_TAGS):
        node.insert_after("\n")
        if node.tag != "br":
            node.insert_before("\n")
    root = tree.body or tree.root
    if root is None:
        return ""
    # One line per block: HTML layout nests blocks deeply, and blank lines would make every
    # table cell look like a new paragraph to the rules' context windows.
    return _BLANK_LINES.sub("\n", normalise_whitespace(root.text(deep=True, separator="")))


def links(html: str) -> list[str]:
    """Every ``href`` in document order, for callers that want to attach a shop link."""
    if not html.strip():
        return []
    hrefs = (node.attributes.get("href") for node in _parse(html).css("a[href]"))
    return [href.strip() for href in hrefs if href and href.strip()]


def message_text(message: MailMessage) -> str:
    """All readable body text of ``message``: the plain part, then the HTML part.

    Both are kept because senders disagree about which part is complete (some plain parts
    are a stub saying "view in browser", some HTML parts are a single image).  The Gmail
    snippet is the fallback when there is no body at all.
    """
    parts = [normalise_whitespace(message.text), html_to_text(message.html)]
    body = "\n\n".join(part for part in parts if part)
    return body or normalise_whitespace(message.snippet)
