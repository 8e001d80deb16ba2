"""The duty file 履职档案 of a deputy as a PDF (WeasyPrint): the record, mandates, groups,
voter contacts and every panel later apps register in `duty_file_panels`, on A4 pages with
the deputy's name in the header and 第 X 页 共 Y 页 below.

Fonts: WeasyPrint draws empty boxes for a Chinese glyph its font lacks and does not fail,
so every font stack in the template names "Noto Sans CJK SC" / "Noto Serif CJK SC"
(Debian's fonts-noto-cjk), page margin boxes included. WeasyPrint fetches nothing over the
network: only files under STATIC_URL (read from disk) and data: URIs are loaded.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from org.models import chinese_numeral
from org.pdf import html_to_pdf

from .panels import duty_file_panels
from .privacy import mask_id_number, mask_phone, may_see_full

# The fixed sections before the registered panels: 基本情况, 代表资格, 代表小组, 联系选民.
FIXED_SECTIONS = 4


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
    html, full = render_duty_file_html(request, deputy)
    return html_to_pdf(html), full


def duty_file_filename(deputy) -> str:
    return f"履职档案-{deputy.region.name}-{deputy.name}.pdf"
