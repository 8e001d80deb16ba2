"""Pages of the registers 五簿一档: a room's books for a year on screen (a tab per book, a year
picker, paginated), as Excel (one sheet per book) and as PDF (a cover and a ruled table per
book); the same for every room of a township (or of a village) for its clerk and the county;
and an index of the rooms to pick from.

Rows come through the scoping rule twice: the room or region is read with the Scoped* base
views (another township's is a 404), and every book's query uses `for_user` (registers.py).
Exports are audited. A room-year or a township-year is a few hundred rows at most, so files
are built in the request; see the report in registers.py's callers for what a province-wide
export would need (a job, as deputies' roster does).
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode

from org.audit import audit_event
from org.mixins import ScopedDetailView, ScopedListView
from org.models import AuditEntry, Region, user_memberships
from org.roles import COUNTY_KINDS, Role

from . import pdf_registers
from .forms import StationFilterForm
from .models import Station
from .registers import (
    ALL_BOOKS,
    REGISTERS,
    RegisterScope,
    cell_text,
    register_title,
    registers_for,
    write_xlsx,
    xlsx_filename,
)

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
PAGE_SIZE = 25
FIRST_YEAR = 2000
# The year picker offers this many years back from this year.
YEARS_SHOWN = 6
DEFAULT_BOOK = "activity"


def requested_year(request) -> int:
    """?year=, or this year when it is missing or not a sensible year."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "")
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= this_year + 1:
        return int(raw)
    return this_year


def requested_book(request, default: str) -> str:
    book = request.GET.get("book", "")
    return book if book in REGISTERS or book == ALL_BOOKS else default


class RegisterSubjectMixin:
    """What the room and the region versions share: the scope of the books, the URLs of the
    page and its exports, and the audit line."""

    allowed_roles = BUSINESS
    page_url_name: str
    xlsx_url_name: str
    pdf_url_name: str

    def register_scope(self, year: int) -> RegisterScope:
        raise TypeError(f"{type(self).__name__} must define register_scope(year)")

    def url(self, name: str, **params) -> str:
        return reverse(name, args=[self.object.pk]) + "?" + urlencode(params)

    def audit(self, scope: RegisterScope, book: str, fmt: str, counts: dict[str, int]):
        books = "、".join(f"{REGISTERS[k].title}{n}条" for k, n in counts.items())
        note = f"导出五簿一档（{fmt}）：{scope.subject_name} {scope.year}年；{books}"
        audit_event(AuditEntry.Action.EXPORT, instance=self.object, note=note, request=self.request)

    def exportable(self) -> bool:
        return True

    def not_exportable(self):
        # Only views whose exportable() can be False (a county's region) answer this.
        raise TypeError(f"{type(self).__name__} must define not_exportable() with exportable()")


class RegisterPageMixin:
    template_name = "stations/registers/register.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year = requested_year(self.request)
        book = requested_book(self.request, DEFAULT_BOOK)
        if book == ALL_BOOKS:
            book = DEFAULT_BOOK
        this_year = timezone.localdate().year
        years = list(range(this_year, this_year - YEARS_SHOWN, -1))
        if year not in years:
            years = sorted({*years, year}, reverse=True)
        ctx.update(
            year=year,
            years=years,
            book=book,
            exportable=self.exportable(),
            station=self.object if isinstance(self.object, Station) else None,
            subject=self.object.name,
            index_url=reverse("stations:register-index"),
        )
        if not self.exportable():
            return ctx
        scope = self.register_scope(year)
        register = REGISTERS[book]
        page = Paginator(register.queryset(scope), PAGE_SIZE).get_page(self.request.GET.get("page"))
        columns = register.columns_for(scope)
        start = page.start_index() if page.paginator.count else 1
        rows = [
            [
                {"text": cell_text(v), "kind": c.kind}
                for c, v in zip(columns, register.row_for(scope, obj, n), strict=True)
            ]
            for n, obj in enumerate(page.object_list, start=start)
        ]
        ctx.update(
            scope=scope,
            subject=scope.subject_name,
            register=register,
            title=register_title(scope, register),
            tabs=[
                {
                    "key": r.key,
                    "title": r.title,
                    "count": r.count(scope),
                    "url": self.url(self.page_url_name, book=r.key, year=year),
                }
                for r in REGISTERS.values()
            ],
            columns=columns,
            rows=rows,
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.paginator.num_pages > 1,
            query=urlencode({"book": book, "year": year}),
            page_url=reverse(self.page_url_name, args=[self.object.pk]),
            xlsx_url=self.url(self.xlsx_url_name, book=book, year=year),
            xlsx_all_url=self.url(self.xlsx_url_name, book=ALL_BOOKS, year=year),
            pdf_url=self.url(self.pdf_url_name, book=book, year=year),
            pdf_all_url=self.url(self.pdf_url_name, book=ALL_BOOKS, year=year),
        )
        return ctx


class RegisterXlsxMixin:
    """?book=<key>|all (default all: five sheets) &year=."""

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.exportable():
            return self.not_exportable()
        year = requested_year(request)
        book = requested_book(request, ALL_BOOKS)
        scope = self.register_scope(year)
        # FileResponse closes (and so deletes) the temporary file once it is sent.
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
        counts = write_xlsx(tmp.name, scope, registers_for(book))
        self.audit(scope, book, "Excel", counts)
        tmp.seek(0)
        return FileResponse(tmp, as_attachment=True, filename=xlsx_filename(scope, book))


class RegisterPdfMixin:
    """?book=<key>|all (default all: five books, each with its cover) &year=."""

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.exportable():
            return self.not_exportable()
        year = requested_year(request)
        book = requested_book(request, ALL_BOOKS)
        scope = self.register_scope(year)
        content, counts = pdf_registers.registers_pdf(request, scope, registers_for(book))
        self.audit(scope, book, "PDF", counts)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, pdf_registers.pdf_filename(scope, book))
        return response


# --- one room ---------------------------------------------------------------------------------


class StationRegisterBase(RegisterSubjectMixin, ScopedDetailView):
    model = Station
    allowed_roles = BUSINESS
    page_url_name = "stations:register"
    xlsx_url_name = "stations:register-xlsx"
    pdf_url_name = "stations:register-pdf"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "township__parent")

    def register_scope(self, year: int) -> RegisterScope:
        return RegisterScope.for_station(self.request.user, self.object, year)


class StationRegisterView(RegisterPageMixin, StationRegisterBase):
    """/stations/<pk>/registers/?book=<key>&year=: one book of a room on screen."""


class StationRegisterXlsxView(RegisterXlsxMixin, StationRegisterBase):
    pass


class StationRegisterPdfView(RegisterPdfMixin, StationRegisterBase):
    pass


# --- every room of a township (or a village) -----------------------------------------------------


class RegionRegisterBase(RegisterSubjectMixin, ScopedDetailView):
    """A region's books: every room in it and, for a township, the records naming no room.
    A county or wider is too broad for a paper book: its page lists its townships instead."""

    model = Region
    allowed_roles = BUSINESS
    page_url_name = "stations:township-register"
    xlsx_url_name = "stations:township-register-xlsx"
    pdf_url_name = "stations:township-register-pdf"

    def get_queryset(self):
        return super().get_queryset().select_related("parent__parent")

    def register_scope(self, year: int) -> RegisterScope:
        return RegisterScope.for_region(self.request.user, self.object, year)

    def exportable(self) -> bool:
        return self.object.kind not in COUNTY_KINDS

    def not_exportable(self):
        messages.info(self.request, "五簿一档按乡镇（街道）或阵地建立，请先选择乡镇。")
        return redirect(reverse(self.page_url_name, args=[self.object.pk]))


class RegionRegisterView(RegisterPageMixin, RegionRegisterBase):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if not self.exportable():
            ctx["townships"] = (
                Region.objects.townships().for_user(self.request.user).in_region(self.object).order_by("code")
            )
        return ctx


class RegionRegisterXlsxView(RegisterXlsxMixin, RegionRegisterBase):
    pass


class RegionRegisterPdfView(RegisterPdfMixin, RegionRegisterBase):
    pass


# --- the index ----------------------------------------------------------------------------------


class RegisterIndexView(ScopedListView):
    """五簿一档: the rooms in scope (narrowed by the top bar's region and the filters), each
    with its books, and the township-wide books of the chosen township."""

    model = Station
    allowed_roles = BUSINESS
    template_name = "stations/registers/index.html"
    paginate_by = 30

    def get_queryset(self):
        user = self.request.user
        self.townships = (
            Region.objects.townships().for_user(user).in_region(self.request.active_region).order_by("code")
        )
        self.filter_form = StationFilterForm(self.request.GET or None, townships=self.townships)
        qs = self.filter_form.filter(super().get_queryset().select_related("region", "township"))
        return qs.order_by("township__code", "kind", "region__code", "name")

    def chosen_township(self):
        """The township of the filter, else the clerk's only township."""
        chosen = getattr(self.filter_form, "cleaned_data", {}).get("township")
        if chosen is not None:
            return chosen
        clerk_towns = [m.region for m in user_memberships(self.request.user) if m.role == Role.TOWNSHIP_CLERK]
        if len(clerk_towns) == 1 and not any(m.role == Role.COUNTY_ADMIN for m in user_memberships(self.request.user)):
            return clerk_towns[0]
        return None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year = requested_year(self.request)
        roles = {m.role for m in user_memberships(self.request.user)}
        ctx.update(
            year=year,
            years=list(range(timezone.localdate().year, timezone.localdate().year - YEARS_SHOWN, -1)),
            filter_form=self.filter_form,
            show_township=Role.COUNTY_ADMIN in roles,
            township=self.chosen_township(),
            books=list(REGISTERS.values()),
        )
        return ctx
