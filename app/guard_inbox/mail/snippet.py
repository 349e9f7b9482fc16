"""A crude visible text of an HTML body, enough for a message's snippet, in linear time.

The full HTML view (extraction/text.py) parses the document; a snippet is needed for every
message listed, so this one only drops hidden blocks and tags with regexes that cannot go
quadratic on hostile markup.
"""

from __future__ import annotations

import html
import re

__all__ = ["html_to_snippet_text"]

_HIDDEN_OPEN = re.compile(r"<(script|style|head|title)\b|<!--", re.I)
_HIDDEN_CLOSE = {
    name: re.compile("-->" if name == "--" else rf"</{name}\s*>", re.I)
    for name in ("script", "style", "head", "title", "--")
}
_TAG = re.compile(r"<[^>]*>")


def html_to_snippet_text(markup: str) -> str:
    """Crude visible text of html (tags and hidden blocks dropped), enough for a snippet."""
    visible = _drop_hidden_blocks(markup)
    end = visible.rfind(">") + 1  # a "<" with no ">" after it is text; cut it off first, so
    # "<[^>]*>" never scans to the end from each of 300 KB of "<" (quadratic: 85 s)
    return html.unescape(_TAG.sub(" ", visible[:end]) + visible[end:])


def _drop_hidden_blocks(markup: str) -> str:
    """Script, style, head, title and comments -> " ", in linear time.

    A lazy ``<script>.*?</script>`` regex re-scans to the end of the markup from every
    unclosed opener (quadratic: 300 KB of "<!--" took minutes); here each kind of opener is
    searched for its closer once it has failed to find one.
    """
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    for opener in _HIDDEN_OPEN.finditer(markup):
        name = (opener.group(1) or "--").lower()
        if opener.start() < pos or name in unclosed:
            continue
        close = _HIDDEN_CLOSE[name].search(markup, opener.end())
        if close is None:  # nothing after this one closes it; nothing after a later one will
            unclosed.add(name)
            continue
        out += (markup[pos : opener.start()], " ")
        pos = close.end()
    out.append(markup[pos:])
    return "".join(out)
