"""A room's QR code (segno, pure Python) and its A4 poster 群众意见征集 (WeasyPrint), hung at
the room so that anyone can scan it and leave an opinion on the public page.

The poster embeds the QR code as an SVG data: URI (sharp at any print size) and names
"Noto Sans CJK SC" in every font stack, as deputies/pdf.py explains; nothing is fetched.
"""

from __future__ import annotations

import io

import segno
from django.template.loader import render_to_string
from django.utils import timezone

from org.pdf import html_to_pdf

# Level Q restores a quarter of the code: a poster on a wall gets scratched, faded and taped over.
QR_ERROR = "q"
PNG_SCALE = 10
QR_BORDER = 4


def station_qr(url: str) -> segno.QRCode:
    """The QR code of a public page address (a regular QR code: phones do not read Micro QR)."""
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    station_qr(url).save(buffer, kind="png", scale=PNG_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    station_qr(url).save(buffer, kind="svg", scale=PNG_SCALE, border=QR_BORDER, xmldecl=True)
    return buffer.getvalue()


def poster_context(station, url: str) -> dict:
    township = station.township
    return {
        "station": station,
        "township": township,
        "issuer": f"{township.name}人大{'工委' if township.kind == 'subdistrict' else '主席团'}",
        "url": url,
        "qr_data_uri": station_qr(url).svg_data_uri(border=QR_BORDER, scale=PNG_SCALE),
        "generated_at": timezone.localtime(),
    }


def station_poster_pdf(station, url: str) -> bytes:
    """The A4 poster of a room as PDF bytes."""

    html = render_to_string("stations/public/poster_pdf.html", poster_context(station, url))
    return html_to_pdf(html)


def poster_filename(station) -> str:
    return f"群众意见征集海报-{station.name}.pdf"
