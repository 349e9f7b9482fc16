"""html_to_text keeps what a reader sees (where codes hide) and drops what they never see."""

from __future__ import annotations

import random
import re

import pytest

from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction import whitespace
from guard_inbox.extraction.text import MAX_HTML_CHARS, html_to_text, links, message_text

EMAIL = """<!DOCTYPE html><html><head><title>Head title</title>
<style>.code { color: #ff0000; } .promo-code { font-weight: bold }</style>
<script>var code = "SCRIPTCODE1";</script></head>
<body>
<div style="display:none;max-height:0;overflow:hidden">Last chance&nbsp;&zwnj;&#8203;for spring</div>
<!-- hidden comment CODE: COMMENT99 -->
<table><tr><td>Promo code:</td><td><b>SPRING</b>25</td></tr></table>
<p>Line one<br>Line two</p>
<a href="https://shop.example/sale?utm=ABC123">Shop the <i>sale</i></a>
<img src="banner.png" alt="Use code BANNER10 at checkout"><img src="spacer.gif" alt="">
<button>Claim offer</button><input type="submit" value="Subscribe"><input type="text" value="x">
</body></html>"""


def test_visible_text_kept_invisible_dropped() -> None:
    text = html_to_text(EMAIL)
    assert "Last chance for spring" in text  # preheader
    assert "SPRING25" in text  # inline tags do not split words
    assert "Use code BANNER10 at checkout" in text  # img alt
    assert "Shop the sale" in text  # link text
    assert "Claim offer" in text and "Subscribe" in text  # button labels
    for gone in ("Head title", "color", "SCRIPTCODE1", "COMMENT99", "utm=ABC123"):
        assert gone not in text


def test_blocks_become_lines_and_whitespace_collapses() -> None:
    text = html_to_text(EMAIL)
    assert "Line one\nLine two" in text
    assert "Promo code:\nSPRING25" in text
    assert "  " not in text
    assert "\n\n\n" not in text


def test_empty_and_huge_input() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    huge = "<p>" + "a " * (MAX_HTML_CHARS) + "</p><p>TAILCODE1</p>"
    assert "TAILCODE1" not in html_to_text(huge)


def test_links_in_document_order() -> None:
    html = '<a href=" https://a.example/x ">a</a><a>no href</a><a href="mailto:x@y.z">m</a>'
    assert links(html) == ["https://a.example/x", "mailto:x@y.z"]
    assert links("") == []


def test_message_text_combines_plain_and_html() -> None:
    msg = MailMessage(provider_id="1", text="Plain  part", html="<p>Html part</p>")
    assert message_text(msg) == "Plain part\n\nHtml part"
    assert message_text(MailMessage(provider_id="2", snippet="just a snippet")) == "just a snippet"


# The regex passes whitespace.py used before it split lines with str methods: the reference.
_SPACES = re.compile(r"[^\S\n]+")
_LINE_EDGES = re.compile(r" *\n *")


def _by_regex(text: str) -> str:
    text = whitespace._INVISIBLE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_EDGES.sub("\n", _SPACES.sub(" ", text))
    return whitespace.BLANK_LINES.sub("\n\n", text).strip()


_PIECES = ["a", "Bc", " ", "  ", "\n", "\t", "\xa0", "\r", "\r\n", "\u200b", "\x0b", "\x1c", "\u2028",
           "\x85", " \n ", "\n\n", "\u3000", "\ufeff", "\u2009"]


@pytest.mark.parametrize("seed", range(20))
def test_whitespace_is_normalised_as_the_regex_passes_did(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 16)))
        assert whitespace.normalise_whitespace(text) == _by_regex(text), repr(text)
        assert whitespace.visible_lines(text) == whitespace.BLANK_LINES.sub("\n", _by_regex(text))
