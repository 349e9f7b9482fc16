"""schema.org DiscountOffer markup is read from JSON-LD and microdata, and broken JSON is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction.markup import MarkupExtractor, parse_datetime

JSON_LD_LIST = """<html><head><script type="application/ld+json">
[{"@context": "http://schema.org/", "@type": "Organization", "name": "Nike", "logo": "x.png"},
 {"@context": "http://schema.org/", "@type": "DiscountOffer", "description": "20% off sitewide",
  "discountCode": "NIKE20", "availabilityStarts": "2026-01-01T08:00:00-07:00",
  "availabilityEnds": "2026-02-01T23:59:59-07:00"}]
</script></head><body><p>Big sale</p></body></html>"""

JSON_LD_GRAPH = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "PromotionCard", "image": "a.png"},
  {"@type": ["Offer", "DiscountOffer"], "discountCode": "GraphCode5", "availabilityEnds": "2026-03-31"}
]}</script>"""

BROKEN_THEN_VALID = """
<script type="application/ld+json">{"@type": "DiscountOffer", "discountCode": "BROKEN1",}</script>
<script type="APPLICATION/LD+JSON">{"@type": "DiscountOffer", "discountCode": "VALID2",
 "availabilityEnds": "not a date"}</script>
<script type="text/javascript">{"@type": "DiscountOffer", "discountCode": "NOTLD3"}</script>"""

MICRODATA = """<div itemscope itemtype="http://schema.org/DiscountOffer">
  <meta itemprop="discountCode" content="SPRING15">
  <meta itemprop="availabilityEnds" content="2026-04-30T23:59:59Z">
  <span itemprop="description">15% off  shoes</span>
</div>
<div itemscope itemtype="https://schema.org/DiscountOffer">
  Code: <span itemprop="discountCode">TextCode7</span>
</div>
<div itemscope itemtype="https://schema.org/Offer"><span itemprop="discountCode">NOPE</span></div>"""


def _extract(html: str) -> list[tuple[str, str, datetime | None]]:
    found = MarkupExtractor().extract(MailMessage(provider_id="m", html=html))
    assert all(code.source == "markup" for code in found)
    return [(code.code, code.discount, code.expires) for code in found]


def test_json_ld_list() -> None:
    ends = datetime(2026, 2, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=-7)))
    assert _extract(JSON_LD_LIST) == [("NIKE20", "20% off sitewide", ends)]


def test_json_ld_graph_and_date_only_end() -> None:
    assert _extract(JSON_LD_GRAPH) == [("GraphCode5", "", datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))]


def test_broken_json_is_skipped_and_bad_dates_ignored() -> None:
    assert _extract(BROKEN_THEN_VALID) == [("VALID2", "", None)]


def test_microdata() -> None:
    assert _extract(MICRODATA) == [
        ("SPRING15", "15% off shoes", datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC)),
        ("TextCode7", "", None),
    ]


def test_no_markup_no_codes() -> None:
    assert _extract("<p>Use code SAVE20 for 20% off</p>") == []
    assert _extract("") == []


def test_parse_datetime() -> None:
    assert parse_datetime("2026-05-01T10:00:00Z") == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert parse_datetime("2026-05-01T10:00:00") == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert parse_datetime("") is None
    assert parse_datetime("May 1st") is None


def test_one_parse_gives_the_text_and_the_declared_objects() -> None:
    """build_document reads schema.org objects off the same tree as the visible text, and the
    markup layer finds the code in that document (the pipeline hands it to every layer)."""
    from guard_inbox.extraction.text import build_document

    message = MailMessage(provider_id="m", subject="Sale", html=JSON_LD_LIST + MICRODATA)
    doc = build_document(message)
    assert [o.get("discountCode") for o in doc.json_ld if o.get("@type") == "DiscountOffer"] == ["NIKE20"]
    assert {o.get("discountCode") for o in doc.microdata} == {"SPRING15", "TextCode7", "NOPE"}
    assert "NIKE20" not in doc.text  # the script is read as data, never as visible text
    codes = [c.code for c in MarkupExtractor().read_document(message, doc).codes]
    assert codes == ["NIKE20", "SPRING15", "TextCode7"]


def test_a_body_without_the_marker_declares_nothing() -> None:
    from guard_inbox.extraction.text import build_document

    html = JSON_LD_LIST.replace("DiscountOffer", "Offer")
    doc = build_document(MailMessage(provider_id="m", html=html))
    assert doc.json_ld == () and doc.microdata == ()
