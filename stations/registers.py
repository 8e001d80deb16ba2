"""The registers 五簿一档 of a room (or of a township's rooms) for a year, the way a room
keeps them on paper for inspections: 活动记录簿, 接待选民记录簿, 学习培训记录簿,
问题转办反馈记录簿 and 述职情况记录簿 (the 一档, the deputy's duty file 履职档案, is
deputies/pdf.py).

One class per book, in the manner of pretix's exporters: a `key`, a `title`, the paper
book's `columns`, a `queryset(scope)` read through the scoping rule, and `row(obj)` for one
record. The screen, Excel and PDF outputs all read these, so the three never disagree.

Which records a book holds:
- activities and the issues voters raised count for the room they took place at. A
  人大代表之家 is the township's own room, so its books also hold the township's records
  that name no room (a township-wide training, an issue from the township office);
  a 联络站's books hold only its own;
- a township-wide register (a region) holds the records of every room in it and, for a
  township, the records naming no room;
- only confirmed activities count; 学习培训 and 述职 have their own books, so the
  活动记录簿 holds every other kind;
- the voter's phone is always masked (the books are printed and shown to inspectors).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from django.db.models import Prefetch, Q
from django.utils import timezone

from deputies.models import Deputy
from deputies.privacy import mask_phone
from org.models import Region
from org.xlsx import safe_cell

from .models import Activity, Reception, Station, VoterIssue

CONFIRMED = Activity.Status.CONFIRMED
# Each book's rows are read in chunks of this many (prefetches run per chunk).
CHUNK = 500
LIST_SEPARATOR = "、"


@dataclass(frozen=True)
class Column:
    """One column of a paper register: heading, width in characters (Excel; the PDF uses
    the same widths as proportions) and how cells align ("num", "date", "center", "text",
    "wrap")."""

    heading: str
    width: int
    kind: str = "text"


NUMBER = Column("序号", 6, "num")
ROOM = Column("阵地", 18, "wrap")


@dataclass(frozen=True)
class RegisterScope:
    """Whose books for which year: one room, or every room of a region (a township, or a
    village's rooms), as seen by `user` (every query goes through `for_user`)."""

    user: object
    year: int
    station: Station | None = None
    region: Region | None = None

    @classmethod
    def for_station(cls, user, station: Station, year: int) -> RegisterScope:
        return cls(user=user, year=year, station=station)

    @classmethod
    def for_region(cls, user, region: Region, year: int) -> RegisterScope:
        return cls(user=user, year=year, region=region)

    @property
    def per_room(self) -> bool:
        return self.station is not None

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)

    @property
    def township(self) -> Region | None:
        if self.station is not None:
            return self.station.township
        return self.region.township() if self.region is not None else None

    @property
    def subject_name(self) -> str:
        """The name on the book's cover: the room, or 甲镇 / 甲镇甲村 for a region."""
        if self.station is not None:
            return self.station.name
        region = self.region
        if region.kind in ("village", "community") and region.parent_id:
            return f"{region.parent.name}{region.name}"
        return region.name

    @property
    def county_name(self) -> str:
        township = self.township
        return township.parent.name if township is not None and township.parent_id else ""

    def place_q(self, *, room_field="station", region_field="region", roomless=True) -> Q:
        """Rows of this scope's room(s). `roomless`: rows naming no room belong to the
        township's 代表之家 (and to a township-wide register)."""
        if self.station is not None:
            q = Q(**{room_field: self.station})
            if roomless and self.station.kind == Station.Kind.HOME:
                q |= Q(**{f"{room_field}__isnull": True, f"{region_field}_id": self.station.township_id})
            return q
        path = self.region.path
        q = Q(**{f"{room_field}__region__path__startswith": path})
        if roomless:
            q |= Q(**{f"{room_field}__isnull": True, f"{region_field}__path__startswith": path})
        return q


@dataclass(frozen=True)
class DateRange:
    """An activity over several days: '2026-04-15至04-17' (the year once when both share it)."""

    start: datetime.date
    end: datetime.date

    def text(self, paper: bool = False) -> str:
        same_year = self.start.year == self.end.year
        if paper:
            end = f"{self.end.month}.{self.end.day}" if same_year else paper_date(self.end)
            return f"{paper_date(self.start)}至{end}"
        return (
            f"{self.start:%Y-%m-%d}至{self.end:%m-%d}" if same_year else f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"
        )

    def __str__(self):
        return self.text()


def paper_date(day: datetime.date) -> str:
    """2026.4.5, as a register is written by hand (and narrow enough for its date columns)."""
    return f"{day.year}.{day.month}.{day.day}"


def _date_text(start: datetime.date, end: datetime.date | None):
    """A date cell: the date itself, or a DateRange for an activity over several days."""
    if not end or end == start:
        return start
    return DateRange(start, end)


def _names(deputies) -> str:
    return LIST_SEPARATOR.join(d.name for d in deputies)


def _numbered(texts: list[str]) -> str:
    texts = [t for t in texts if t]
    if len(texts) <= 1:
        return texts[0] if texts else ""
    return "\n".join(f"{i}. {t}" for i, t in enumerate(texts, start=1))


def cell_text(value, paper: bool = False) -> str:
    """A cell as the screen shows it, or with `paper` as the PDF prints it."""
    if value is None:
        return ""
    if isinstance(value, DateRange):
        return value.text(paper)
    if isinstance(value, datetime.date):
        return paper_date(value) if paper else f"{value:%Y-%m-%d}"
    return str(value)


class Register:
    """One book of the 五簿. Subclasses set the class attributes and `queryset`/`row`."""

    key = ""
    title = ""
    model = None
    date_field = "date"
    # The columns after 序号, as the paper book has them.
    columns: tuple[Column, ...] = ()
    # Where a region-wide register puts its 阵地 column (after 序号 and the date).
    room_column_at = 2
    empty_text = "本年度暂无记录。"

    def columns_for(self, scope: RegisterScope) -> list[Column]:
        cols = [NUMBER, *self.columns]
        if not scope.per_room:
            cols.insert(self.room_column_at, ROOM)
        return cols

    def headings(self, scope: RegisterScope) -> list[str]:
        return [c.heading for c in self.columns_for(scope)]

    def base_queryset(self, scope: RegisterScope):
        """The model's rows the user may see, in the scope's year."""
        return self.model.objects.for_user(scope.user).filter(
            **{f"{self.date_field}__gte": scope.start, f"{self.date_field}__lte": scope.end}
        )

    def queryset(self, scope: RegisterScope):
        raise TypeError(f"{type(self).__name__} must define queryset(scope)")

    def row(self, obj) -> list:
        """The cells of one record, without 序号 and 阵地."""
        raise TypeError(f"{type(self).__name__} must define row(obj)")

    def room_name(self, obj) -> str:
        station = getattr(obj, "station", None)
        return station.name if station is not None else "—"

    def row_for(self, scope: RegisterScope, obj, number: int) -> list:
        cells = [number, *self.row(obj)]
        if not scope.per_room:
            cells.insert(self.room_column_at, self.room_name(obj))
        return cells

    def count(self, scope: RegisterScope) -> int:
        return self.queryset(scope).count()

    def rows(self, scope: RegisterScope, start: int = 1) -> Iterator[list]:
        """Every row of the book, numbered from `start`, read in chunks."""
        for number, obj in enumerate(self.queryset(scope).iterator(chunk_size=CHUNK), start=start):
            yield self.row_for(scope, obj, number)


def _deputies_prefetch(field: str, scope: RegisterScope, to_attr: str) -> Prefetch:
    return Prefetch(field, queryset=Deputy.objects.for_user(scope.user).order_by("name", "pk"), to_attr=to_attr)


class _ActivityBook(Register):
    model = Activity
    kinds: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()

    def queryset(self, scope):
        qs = self.base_queryset(scope).filter(scope.place_q(), status=CONFIRMED)
        if self.kinds:
            qs = qs.filter(kind__in=self.kinds)
        if self.exclude_kinds:
            qs = qs.exclude(kind__in=self.exclude_kinds)
        return (
            qs.select_related("station")
            .prefetch_related(_deputies_prefetch("participants", scope, "register_deputies"))
            .order_by("date", "pk")
        )

    @staticmethod
    def attendance(activity) -> int:
        # 人次: what the clerk recorded, else the deputies who took part.
        return activity.attendance or len(activity.register_deputies)


class ActivityRegister(_ActivityBook):
    key = "activity"
    title = "活动记录簿"
    exclude_kinds = (Activity.Kind.TRAINING, Activity.Kind.REPORT_TO_VOTERS)
    columns = (
        Column("日期", 12, "date"),
        Column("活动类型", 10, "center"),
        Column("活动主题", 24, "wrap"),
        Column("地点", 16, "wrap"),
        Column("组织单位", 14, "wrap"),
        Column("参加代表", 24, "wrap"),
        Column("人次", 6, "num"),
        Column("活动情况", 40, "wrap"),
    )

    def row(self, a):
        return [
            _date_text(a.date, a.end_date),
            a.get_kind_display(),
            a.topic,
            a.place or (a.station.name if a.station else ""),
            a.organiser,
            _names(a.register_deputies),
            self.attendance(a),
            a.summary,
        ]


class TrainingRegister(_ActivityBook):
    key = "training"
    title = "学习培训记录簿"
    kinds = (Activity.Kind.TRAINING,)
    columns = (
        Column("日期", 12, "date"),
        Column("培训内容/主题", 40, "wrap"),
        Column("组织单位", 16, "wrap"),
        Column("参训代表", 36, "wrap"),
        Column("人次", 6, "num"),
    )

    def row(self, a):
        content = f"{a.topic}\n{a.summary}" if a.summary else a.topic
        return [_date_text(a.date, a.end_date), content, a.organiser, _names(a.register_deputies), self.attendance(a)]


class ReportRegister(_ActivityBook):
    key = "report"
    title = "述职情况记录簿"
    kinds = (Activity.Kind.REPORT_TO_VOTERS,)
    columns = (
        Column("日期", 12, "date"),
        Column("述职代表", 20, "wrap"),
        Column("地点", 18, "wrap"),
        Column("参加选民人数", 8, "num"),
        Column("满意度", 8, "center"),
        Column("述职内容摘要", 48, "wrap"),
    )

    def row(self, a):
        return [
            _date_text(a.date, a.end_date),
            _names(a.register_deputies),
            a.place or (a.station.name if a.station else ""),
            a.voter_count,
            f"{a.satisfaction}%" if a.satisfaction is not None else "",
            a.summary or a.topic,
        ]


class ReceptionRegister(Register):
    key = "reception"
    title = "接待选民记录簿"
    model = Reception
    columns = (
        Column("接待日期", 12, "date"),
        Column("接待代表", 22, "wrap"),
        Column("接待选民人数", 8, "num"),
        Column("反映问题", 44, "wrap"),
        Column("办理情况", 36, "wrap"),
    )

    def queryset(self, scope):
        issues = VoterIssue.objects.for_user(scope.user).select_related("handling_unit").order_by("pk")
        return (
            self.base_queryset(scope)
            .filter(scope.place_q(roomless=False))
            .select_related("station")
            .prefetch_related(
                _deputies_prefetch("deputies", scope, "register_deputies"),
                Prefetch("issues", queryset=issues, to_attr="register_issues"),
            )
            .order_by("date", "pk")
        )

    @staticmethod
    def handling(issue) -> str:
        text = issue.get_state_display()
        if issue.handling_unit_id:
            text += f"（{issue.handling_unit.name}）"
        return text

    def row(self, r):
        issues = r.register_issues
        raised = _numbered([i.content.strip() for i in issues]) if issues else r.summary
        return [
            r.date,
            _names(r.register_deputies),
            r.voter_count,
            raised,
            _numbered([self.handling(i) for i in issues]),
        ]


class IssueRegister(Register):
    key = "issue"
    title = "问题转办反馈记录簿"
    model = VoterIssue
    date_field = "raised_on"
    columns = (
        Column("反映日期", 11, "date"),
        Column("反映人", 16, "wrap"),
        Column("反映问题", 30, "wrap"),
        Column("转办单位", 14, "wrap"),
        Column("转办日期", 11, "date"),
        Column("办理期限", 11, "date"),
        Column("答复情况", 28, "wrap"),
        Column("答复日期", 11, "date"),
        Column("反馈方式", 9, "center"),
        Column("反馈日期", 11, "date"),
        Column("选民意见", 18, "wrap"),
        Column("状态", 9, "center"),
    )

    def queryset(self, scope):
        return (
            self.base_queryset(scope)
            .filter(scope.place_q())
            .select_related("station", "handling_unit")
            .order_by("raised_on", "pk")
        )

    @staticmethod
    def voter(issue) -> str:
        # Always masked: the books are printed and shown to inspectors.
        name = issue.voter_name or "匿名"
        phone = mask_phone(issue.voter_phone)
        return f"{name}（{phone}）" if phone else name

    def row(self, i):
        state = i.get_state_display() + ("（已超期）" if i.is_overdue else "")
        return [
            i.raised_on,
            self.voter(i),
            i.content,
            i.handling_unit.name if i.handling_unit_id else "",
            i.referred_on,
            i.due_on,
            i.answer or i.on_spot_answer,
            i.answered_on,
            i.get_feedback_method_display() if i.feedback_method else "",
            i.fed_back_on,
            i.feedback_note,
            state,
        ]


# The five books in the order a room keeps them.
REGISTERS: dict[str, Register] = {
    r.key: r for r in (ActivityRegister(), ReceptionRegister(), TrainingRegister(), IssueRegister(), ReportRegister())
}
ALL_BOOKS = "all"


def registers_for(book: str) -> list[Register]:
    """The books `book` names: one key, or all five for "all"."""
    if book == ALL_BOOKS:
        return list(REGISTERS.values())
    return [REGISTERS[book]]


def register_title(scope: RegisterScope, register: Register) -> str:
    """甲村人大代表联络站 2026年活动记录簿"""
    return f"{scope.subject_name} {scope.year}年{register.title}"


# --- Excel ------------------------------------------------------------------------------------


def write_xlsx(target, scope: RegisterScope, registers: Iterable[Register]) -> dict[str, int]:
    """Write the books to `target` (a path or a binary file), one sheet per book: the title
    merged above the header, a note row (township, year, export time), the ruled table and
    a total. Printed on A4 landscape, one page wide, the header repeated on every page, 第
    X 页 共 Y 页 below. Text Excel would run as a formula goes through org.xlsx.safe_cell.
    XlsxWriter in constant-memory mode, so a large township costs little memory. Returns
    the rows written per book key."""
    wb = xlsxwriter.Workbook(
        str(target) if isinstance(target, Path) else target,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
    cell = {**base, "border": 1}
    fmt = {
        "title": wb.add_format({**base, "font_name": "黑体", "font_size": 16, "align": "center"}),
        "note": wb.add_format({**base, "font_size": 9}),
        "header": wb.add_format({**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDE6F0"}),
        "num": wb.add_format({**cell, "align": "center"}),
        "center": wb.add_format({**cell, "align": "center", "text_wrap": True}),
        "text": wb.add_format(cell),
        "wrap": wb.add_format({**cell, "text_wrap": True}),
        "date": wb.add_format({**cell, "align": "center", "num_format": "yyyy-mm-dd"}),
        "total": wb.add_format({**base, "bold": True}),
    }
    township = scope.township.name if scope.township else ""
    now = timezone.localtime()
    written = {}
    for register in registers:
        columns = register.columns_for(scope)
        ws = wb.add_worksheet(register.title)
        last = len(columns) - 1
        for i, col in enumerate(columns):
            ws.set_column(i, i, col.width)
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, last, register_title(scope, register), fmt["title"])
        note = f"所属乡镇：{township}　　年度：{scope.year}年　　导出时间：{now:%Y-%m-%d %H:%M}"
        ws.merge_range(1, 0, 1, last, note, fmt["note"])
        header_row = 2
        ws.set_row(header_row, 24)
        for i, col in enumerate(columns):
            ws.write_string(header_row, i, col.heading, fmt["header"])
        r = header_row
        for r, row in enumerate(register.rows(scope), start=header_row + 1):
            for c, value in enumerate(row):
                kind = columns[c].kind
                if value is None or value == "":
                    ws.write_blank(r, c, None, fmt[kind])
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value, fmt[kind])
                elif isinstance(value, datetime.date):
                    ws.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), fmt["date"])
                else:
                    ws.write_string(r, c, safe_cell(str(value)), fmt[kind])
        count = r - header_row
        total = f"合计：{count} 条。" if count else f"合计：0 条（{register.empty_text}）"
        ws.merge_range(r + 1, 0, r + 1, last, total, fmt["total"])
        ws.freeze_panes(header_row + 1, 0)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.7)
        ws.repeat_rows(header_row)
        ws.fit_to_pages(1, 0)  # one page wide, as many long as it takes
        ws.center_horizontally()
        ws.set_footer('&C&"宋体"第 &P 页 共 &N 页')
        written[register.key] = count
    wb.close()
    return written


def xlsx_filename(scope: RegisterScope, book: str) -> str:
    label = "五簿" if book == ALL_BOOKS else REGISTERS[book].title
    return f"{scope.subject_name}-{scope.year}年{label}.xlsx"
