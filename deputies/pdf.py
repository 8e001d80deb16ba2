"""The duty file 履职档案 of a deputy as a PDF (WeasyPrint): the record, mandates, groups,
voter contacts and every panel later apps register in `duty_file_panels`, on A4 pages with
the deputy's name in the header and 第 X 页 共 Y 页 below.

Fonts: WeasyPrint draws empty boxes for a Chinese glyph its font lacks and does not fail,
so every font stack in the template names "Noto Sans CJK SC" / "Noto Serif CJK SC"
(Debian's fonts-noto-cjk), page margin boxes included. WeasyPrint fetches nothing over the
network: only files under STATIC_URL (read from disk) and data: URIs are loaded.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from org.models import chinese_numeral

from .panels import duty_file_panels
from .privacy import mask_id_number, mask_phone, may_see_full

# Relative URLs in panel HTML resolve against this; nothing is ever fetched from it.
BASE_URL = "https://portal.invalid/"
# The fixed sections before the registered panels: 基本情况, 代表资格, 代表小组, 联系选民.
FIXED_SECTIONS = 4


def _local_fetcher():
    """A WeasyPrint fetcher that loads static files from disk and data: URIs; anything else
    (another host, a page of the portal itself) is refused, not requested, while the PDF
    is built."""
    import mimetypes

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            static = settings.STATIC_URL or "/static/"
            if parts.netloc == urlsplit(BASE_URL).netloc and parts.path.startswith(static):
                found = finders.find(parts.path[len(static) :])
                if found:
                    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
                    # WeasyPrint closes the file once read.
                    return URLFetcherResponse(url, open(found, "rb"), {"Content-Type": kind})  # noqa: SIM115
            raise ValueError(f"not fetched while building a PDF: {url}")

    return LocalFetcher(allowed_protocols=("data", "https"))


def duty_file_context(request, deputy) -> dict:
    """What the PDF template shows. `deputy` comes from selectors.duty_file (prefetched)."""
    full = may_see_full(request.user, deputy)
    contacts = list(deputy.voter_contacts.all())
    for contact in contacts:
        contact.shown_phone = contact.phone if full else mask_phone(contact.phone)
    mandates = list(deputy.mandates.all())
    serving = [m for m in mandates if m.status == m.Status.SERVING]
    panels = duty_file_panels.render(request, deputy)
    for i, panel in enumerate(panels, start=FIXED_SECTIONS + 1):
        panel["number"] = chinese_numeral(i)
    return {
        "deputy": deputy,
        "full": full,
        "id_number": deputy.id_number if full else mask_id_number(deputy.id_number),
        "phone": deputy.phone if full else mask_phone(deputy.phone),
        "mandates": mandates,
        "serving": serving,
        "groups": list(deputy.groups.all()),
        "groups_led": list(deputy.groups_led.all()),
        "groups_linked": list(deputy.groups_linked.all()),
        "contacts": contacts,
        "panels": panels,
        "generated_at": timezone.localtime(),
        "generated_by": getattr(request.user, "name", "") or request.user.get_username(),
    }


def render_duty_file_html(request, deputy) -> tuple[str, bool]:
    """The duty file as the HTML the PDF is made from, and whether IDs are in full."""
    ctx = duty_file_context(request, deputy)
    return render_to_string("deputies/pdf/duty_file.html", ctx, request=request), ctx["full"]


def duty_file_pdf(request, deputy) -> tuple[bytes, bool]:
    """The duty file as PDF bytes, and whether the ID number in it is in full."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    html, full = render_duty_file_html(request, deputy)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_local_fetcher()).write_pdf(), full


def duty_file_filename(deputy) -> str:
    return f"履职档案-{deputy.region.name}-{deputy.name}.pdf"
