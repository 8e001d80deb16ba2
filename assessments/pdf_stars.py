"""The star-rating certificate 星级评定证书 of a published rating: an A4 landscape page built
with WeasyPrint (org.pdf), the Noto CJK fonts embedded (a missing glyph would print as an
empty box, so every font stack names them)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from org.models import chinese_numeral

from .models import StarRating

STAR_WORDS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}


def issuer_region(rating: StarRating):
    """The county that rated the room: the rule's region, or the township's parent."""
    region = rating.rule.region
    if region.is_county_level:
        return region
    township = rating.station.township
    return township.parent if township and township.parent_id else region


def certificate_context(rating: StarRating) -> dict:
    station = rating.station
    kind_title = "人大代表之家" if station.kind == station.Kind.HOME else "代表联络站"
    issued = timezone.localtime(rating.published_at) if rating.published_at else timezone.localtime()
    return {
        "rating": rating,
        "station": station,
        "township": station.township,
        "stars": "★" * (rating.stars or 0),
        "star_word": STAR_WORDS.get(rating.stars or 0, chinese_numeral(rating.stars or 0)),
        "kind_title": kind_title,
        "county": issuer_region(rating),
        "issued": issued,
        "number": f"{rating.year}-{rating.pk:05d}",
    }


def certificate_pdf(rating: StarRating) -> bytes:
    from org.pdf import html_to_pdf

    return html_to_pdf(render_to_string("assessments/stars/certificate.html", certificate_context(rating)))


def certificate_filename(rating: StarRating) -> str:
    return f"星级评定证书-{rating.year}-{rating.station.name}.pdf"
