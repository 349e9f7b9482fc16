"""Turning mail bodies into plain text that the text rules can read.

Promo codes live in what a person *sees*: link text, button labels, image ``alt`` text (codes
are often baked into banner images) and the hidden preheader. What they never see -- CSS,
scripts, conditional comments, ``<head>`` -- is where most false positives come from, so it is
dropped here once instead of being filtered by every rule.  Link targets are kept apart, each
with the place in the text where its label sits, so a code can be given the link next to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction.schema import MARKER, declared_objects
from guard_inbox.extraction.whitespace import normalise_whitespace, visible_lines

__all__ = ["Document", "Link", "build_document", "html_to_text", "html_view", "links", "message_text",
           "normalise_whitespace", "text_links"]

# Marketing mail is rarely over 200 KB; the cap only stops a pathological body from
# stalling a scan worker.
MAX_HTML_CHARS = 2_000_000
# The rules read at most this much text per part; codes sit near the top of a message and a
# novel-length body is not worth a scan worker's time.
MAX_TEXT_CHARS = 60_000
MAX_LINKS = 400

_DROP_TAGS = ("head", "style", "script", "noscript", "template", "svg", "object", "title")

# Elements that start a new visual line.  Table cells count: email layouts put a label
# ("Promo code:") and its value in separate cells, and a line break keeps them apart
# without gluing words together.
_BLOCK_TAGS = (
    "address, article, aside, blockquote, br, center, dd, div, dl, dt, fieldset, figcaption, "
    "figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, pre, "
    "section, table, tbody, td, tfoot, th, thead, tr, ul"
)

_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    """A link target and where in the document text its label (or the bare URL) sits."""

    href: str
    position: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """What the rules read: subject, plain part and visible HTML text in one string."""

    text: str
    links: tuple[Link, ...]
    subject_end: int  # the subject is text[:subject_end]
    # schema.org objects the HTML declares (schema.py), read from the same parse
    json_ld: tuple[dict[str, object], ...] = ()
    microdata: tuple[dict[str, object], ...] = ()


def _parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html[:MAX_HTML_CHARS])


_Objects = tuple[dict[str, object], ...]


def html_view(html: str) -> tuple[str, list[Link]]:
    """Visible text of an HTML body (one block element per line) and its links.

    Images become their ``alt`` text and form buttons their label, because retailers put
    codes there; everything invisible by construction (styles, scripts, comments) goes.
    """
    text, found, _, _ = _view(html)
    return text, found


def _view(html: str) -> tuple[str, list[Link], _Objects, _Objects]:
    """html_view plus the schema.org objects the body declares, from one parse."""
    if not html.strip():
        return "", [], (), ()
    tree = _parse(html)
    json_ld: _Objects = ()
    microdata: _Objects = ()
    if MARKER in html:
        json_ld, microdata = declared_objects(tree)
    for node in tree.css(", ".join(_DROP_TAGS)):
        node.decompose()
    for node in tree.css("img"):
        alt = node.attributes.get("alt") or ""
        node.replace_with(f" {alt} " if alt.strip() else " ")
    for node in tree.css("input"):
        kind = (node.attributes.get("type") or "").lower()
        value = node.attributes.get("value") or ""
        # A button's label, or a read-only box holding a code to copy (<input readonly value=X>)
        if value and "readonly" in node.attributes and kind in ("", "text"):
            node.replace_with(f"\n{value}\n")  # a box of its own, as the shopper sees it
        else:
            node.replace_with(f" {value} " if kind in ("submit", "button") and value else " ")
    anchors: list[tuple[str, str]] = []
    for node in tree.css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if href and len(anchors) < MAX_LINKS:
            anchors.append((href, " ".join(node.text(deep=True, separator="").split())))
    for node in tree.css(_BLOCK_TAGS):
        node.insert_after("\n")
        if node.tag != "br":
            node.insert_before("\n")
    root = tree.body or tree.root
    if root is None:
        return "", [], json_ld, microdata
    # One line per block: HTML layout nests blocks deeply, and blank lines would make every
    # table cell look like a new paragraph to the rules' context windows.
    text = visible_lines(root.text(deep=True, separator=""))
    return text, _place(text, anchors), json_ld, microdata


def _place(text: str, anchors: list[tuple[str, str]]) -> list[Link]:
    """Find each anchor's label in ``text``, in document order (labels repeat, order does not)."""
    placed: list[Link] = []
    cursor = 0
    for href, label in anchors:
        at = text.find(label, cursor) if label else -1
        if at >= 0:
            cursor = at + len(label)
        placed.append(Link(href, at if at >= 0 else cursor, label))
    return placed


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, one block element per line."""
    return html_view(html)[0]


def links(html: str) -> list[str]:
    """Every ``href`` in document order, for callers that want to attach a shop link."""
    if not html.strip():
        return []
    hrefs = (node.attributes.get("href") for node in _parse(html).css("a[href]"))
    return [href.strip() for href in hrefs if href and href.strip()]


def text_links(text: str, offset: int = 0) -> list[Link]:
    """Bare URLs written in plain text, with their positions."""
    return [Link(m.group(0).rstrip(".,;:!?"), offset + m.start()) for m in _URL.finditer(text)][:MAX_LINKS]


def build_document(message: MailMessage) -> Document:
    """Subject, plain part and HTML text of ``message`` with every link placed in it.

    Both parts are kept because senders disagree about which part is complete (some plain parts
    are a stub saying "view in browser", some HTML parts are a single image).  The Gmail
    snippet is the fallback when there is no body at all.
    """
    subject = normalise_whitespace(message.subject)[:1000]
    plain = normalise_whitespace(message.text[: MAX_TEXT_CHARS * 2])[:MAX_TEXT_CHARS]
    html_text, anchors, json_ld, microdata = _view(message.html)
    html_text = html_text[:MAX_TEXT_CHARS]
    pieces: list[str] = []
    found: list[Link] = []
    length = subject_end = 0
    for piece in (subject, plain, html_text):
        if not piece:
            continue
        if pieces:
            pieces.append("\n\n")
            length += 2
        start = length
        if piece is html_text:
            found += [Link(a.href, start + a.position, a.label) for a in anchors]
            # URLs written out in the visible text, not as links (plain mail sent as HTML)
            if "http" in piece:
                hrefs = {a.href for a in anchors}
                found += [link for link in text_links(piece, start) if link.href not in hrefs]
        else:
            found += text_links(piece, start)
        pieces.append(piece)
        length += len(piece)
        if piece is subject:
            subject_end = length
    if not pieces or (len(pieces) == 1 and subject):
        snippet = normalise_whitespace(message.snippet)
        if snippet:
            pieces += ["\n\n", snippet] if pieces else [snippet]
    text = "".join(pieces)
    return Document(text=text, links=tuple(found), subject_end=subject_end, json_ld=json_ld,
                    microdata=microdata)


def message_text(message: MailMessage) -> str:
    """All readable body text of ``message``: the plain part, then the HTML part."""
    parts = [normalise_whitespace(message.text), html_to_text(message.html)]
    body = "\n\n".join(part for part in parts if part)
    return body or normalise_whitespace(message.snippet)
