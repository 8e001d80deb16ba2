"""The registers 五簿一档: each book's columns and rows for a room-year (rows of other years,
rooms and townships left out, unconfirmed activities too), the screen list, the Excel
workbook (sheets, title, header, rows, formulas neutralised), the PDF (cover, rows, CJK
font embedded, page numbers), the voter's phone masked everywhere, scoping of every URL
and the audit line of each export."""

from __future__ import annotations

import datetime
import io
import re
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from org.models import AuditEntry
from stations import views_registers
from stations.models import Activity, Station, VoterIssue
from stations.registers import REGISTERS, RegisterScope, registers_for
from tests.factories import ActivityFactory, DeputyFactory, ReceptionFactory, StationFactory, VoterIssueFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
D = datetime.date
PHONE = "13912345678"
MASKED = "139****5678"
FORMULA = '=HYPERLINK("http://evil.invalid","点我")'

EXPECTED_COLUMNS = {
    "activity": ["序号", "日期", "活动类型", "活动主题", "地点", "组织单位", "参加代表", "人次", "活动情况"],
    "reception": ["序号", "接待日期", "接待代表", "接待选民人数", "反映问题", "办理情况"],
    "training": ["序号", "日期", "培训内容/主题", "组织单位", "参训代表", "人次"],
    "issue": [
        "序号",
        "反映日期",
        "反映人",
        "反映问题",
        "转办单位",
        "转办日期",
        "办理期限",
        "答复情况",
        "答复日期",
        "反馈方式",
        "反馈日期",
        "选民意见",
        "状态",
    ],
    "report": ["序号", "日期", "述职代表", "地点", "参加选民人数", "满意度", "述职内容摘要"],
}
TITLES = ["活动记录簿", "接待选民记录簿", "学习培训记录簿", "问题转办反馈记录簿", "述职情况记录簿"]


def activity(station, kind=Activity.Kind.INSPECTION, *, region=None, deputies=(), **kw):
    row = ActivityFactory(region=region or station.township, station=station, kind=kind, **kw)
    row.participants.add(*deputies)
    return row


@pytest.fixture
def books(world):
    """Township A: a 代表之家 and a 联络站 (甲村); township B: a 代表之家. Records of 2025 in and
    around them."""
    home = StationFactory(region=world.town_a, name="甲镇人大代表之家")
    room = Station.objects.create(kind=Station.Kind.LIAISON, region=world.village_a, name="甲村人大代表联络站")
    home_b = StationFactory(region=world.town_b, name="乙镇人大代表之家")
    zhang = DeputyFactory(region=world.town_a, name="张建国")
    li = DeputyFactory(region=world.town_a, name="李秀英")
    wang_b = DeputyFactory(region=world.town_b, name="王乙代表")

    # 活动记录簿 of 甲村: two rows (one with a formula-looking topic).
    activity(room, date=D(YEAR, 3, 5), topic=FORMULA, place="甲村水库", organiser="甲镇人大", deputies=[zhang, li],
             summary="查看水库除险加固进度。")  # fmt: skip
    activity(room, Activity.Kind.GROUP, date=D(YEAR, 9, 9), end_date=D(YEAR, 9, 10), topic="甲村小组活动",
             attendance=12, deputies=[zhang])  # fmt: skip
    # Left out of 甲村's 活动记录簿: pending, rejected, other years, other room, other township.
    activity(room, date=D(YEAR, 6, 1), topic="待确认的调研", status=Activity.Status.PENDING, deputies=[zhang])
    activity(room, date=D(YEAR, 6, 2), topic="已退回的走访", status=Activity.Status.REJECTED)
    activity(room, date=D(YEAR - 1, 12, 31), topic="去年的走访")
    activity(room, date=D(YEAR + 1, 1, 2), topic="明年的视察")
    activity(home, date=D(YEAR, 7, 1), topic="代表之家的视察", deputies=[li])
    activity(None, region=world.town_a, date=D(YEAR, 8, 1), topic="全镇执法检查", deputies=[zhang, li])
    activity(home_b, date=D(YEAR, 2, 2), topic="乙镇的视察", deputies=[wang_b])
    # The other books.
    activity(room, Activity.Kind.TRAINING, date=D(YEAR, 4, 1), topic="代表履职培训", organiser="县人大常委会",
             deputies=[zhang, li], summary="学习代表法。")  # fmt: skip
    activity(room, Activity.Kind.TRAINING, date=D(YEAR, 4, 2), topic="未确认的培训", status=Activity.Status.PENDING)
    activity(room, Activity.Kind.REPORT_TO_VOTERS, date=D(YEAR, 5, 1), topic="张建国向选民述职", voter_count=40,
             satisfaction=92, summary="报告一年来履职情况。", deputies=[zhang])  # fmt: skip
    activity(home_b, Activity.Kind.REPORT_TO_VOTERS, date=D(YEAR, 5, 1), topic="乙镇述职", deputies=[wang_b])

    reception = ReceptionFactory(station=room, date=D(YEAR, 3, 10), voter_count=5, summary="村道破损")
    reception.deputies.add(zhang)
    ReceptionFactory(station=room, date=D(YEAR - 1, 11, 11), summary="去年的接待")
    ReceptionFactory(station=home, date=D(YEAR, 3, 12), summary="代表之家的接待")
    ReceptionFactory(station=home_b, date=D(YEAR, 3, 12), summary="乙镇的接待")

    VoterIssueFactory(
        region=world.town_a, station=room, reception=reception, content="村口道路破损严重，雨天积水。",
        voter_name="王五", voter_phone=PHONE, raised_on=D(YEAR, 3, 10), state=VoterIssue.State.FED_BACK,
        handling_unit=world.unit_a, referred_on=D(YEAR, 3, 11), due_on=D(YEAR, 4, 10), answer="已列入今年硬化计划。",
        answered_on=D(YEAR, 4, 1), feedback_method=VoterIssue.FeedbackMethod.PHONE, fed_back_on=D(YEAR, 4, 3),
        feedback_note="满意",
    )  # fmt: skip
    VoterIssueFactory(region=world.town_a, station=room, content="去年反映的问题", raised_on=D(YEAR - 1, 12, 1))
    VoterIssueFactory(region=world.town_a, station=None, content="镇政府收到的问题", raised_on=D(YEAR, 5, 5))
    VoterIssueFactory(region=world.town_b, station=home_b, content="乙镇的问题", raised_on=D(YEAR, 5, 5))
    return {"home": home, "room": room, "home_b": home_b, "zhang": zhang}


def scope_of(user, station=None, region=None, year=YEAR):
    if station is not None:
        return RegisterScope.for_station(user, station, year)
    return RegisterScope.for_region(user, region, year)


def counts(scope):
    return {key: r.count(scope) for key, r in REGISTERS.items()}


# --- the books ----------------------------------------------------------------------------------


def test_columns_are_the_paper_books(world, books):
    room_scope = scope_of(world.clerk_a, books["room"])
    town_scope = scope_of(world.clerk_a, region=world.town_a)
    assert [r.title for r in REGISTERS.values()] == TITLES
    for key, expected in EXPECTED_COLUMNS.items():
        assert REGISTERS[key].headings(room_scope) == expected, key
        # A township-wide book says which room each row is from.
        town = REGISTERS[key].headings(town_scope)
        assert town == expected[:2] + ["阵地"] + expected[2:], key
        rows = list(REGISTERS[key].rows(room_scope))
        assert all(len(row) == len(expected) for row in rows), key


def test_row_counts_of_a_room_a_home_and_a_township(world, books):
    assert counts(scope_of(world.clerk_a, books["room"])) == {
        "activity": 2, "reception": 1, "training": 1, "issue": 1, "report": 1,
    }  # fmt: skip
    # The 代表之家 holds its own records and the township's records that name no room.
    assert counts(scope_of(world.clerk_a, books["home"])) == {
        "activity": 2, "reception": 1, "training": 0, "issue": 1, "report": 0,
    }  # fmt: skip
    assert counts(scope_of(world.clerk_a, region=world.town_a)) == {
        "activity": 4, "reception": 2, "training": 1, "issue": 2, "report": 1,
    }  # fmt: skip
    assert counts(scope_of(world.clerk_a, region=world.village_a)) == {
        "activity": 2, "reception": 1, "training": 1, "issue": 1, "report": 1,
    }  # fmt: skip
    assert counts(scope_of(world.clerk_a, books["room"], year=YEAR - 1)) == {
        "activity": 1, "reception": 1, "training": 0, "issue": 1, "report": 0,
    }  # fmt: skip
    # Every query is scoped: township B's clerk reads nothing of A even when handed A's room.
    assert set(counts(scope_of(world.clerk_b, books["room"])).values()) == {0}
    assert counts(scope_of(world.county_admin, books["home_b"]))["report"] == 1


def test_rows_hold_what_the_paper_book_asks(world, books):
    scope = scope_of(world.clerk_a, books["room"])
    first, second = REGISTERS["activity"].rows(scope)
    assert first == [
        1,
        D(YEAR, 3, 5),
        "视察",
        FORMULA,
        "甲村水库",
        "甲镇人大",
        "张建国、李秀英",
        2,
        "查看水库除险加固进度。",
    ]
    assert [second[0], str(second[1]), second[2]] == [2, f"{YEAR}-09-09至09-10", "小组活动"] and second[7] == 12
    (reception,) = REGISTERS["reception"].rows(scope)
    assert reception == [1, D(YEAR, 3, 10), "张建国", 5, "村口道路破损严重，雨天积水。", "已反馈（甲镇农业站）"]
    (training,) = REGISTERS["training"].rows(scope)
    assert training == [1, D(YEAR, 4, 1), "代表履职培训\n学习代表法。", "县人大常委会", "张建国、李秀英", 2]
    (report,) = REGISTERS["report"].rows(scope)
    assert report == [1, D(YEAR, 5, 1), "张建国", "甲村人大代表联络站", 40, "92%", "报告一年来履职情况。"]
    (issue,) = REGISTERS["issue"].rows(scope)
    assert issue == [
        1, D(YEAR, 3, 10), f"王五（{MASKED}）", "村口道路破损严重，雨天积水。", "甲镇农业站", D(YEAR, 3, 11),
        D(YEAR, 4, 10), "已列入今年硬化计划。", D(YEAR, 4, 1), "电话", D(YEAR, 4, 3), "满意", "已反馈",
    ]  # fmt: skip


# --- the screen ---------------------------------------------------------------------------------


def register_url(name, pk, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse(name, args=[pk]) + (f"?{query}" if query else "")


def test_page_shows_a_book_with_tabs_and_counts(world, books, login):
    client = login(world.clerk_a)
    response = client.get(register_url("stations:register", books["room"].pk, book="activity", year=YEAR))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"甲村人大代表联络站 {YEAR}年活动记录簿" in page
    assert "甲村小组活动" in page and "待确认的调研" not in page and "去年的走访" not in page
    assert "代表之家的视察" not in page and "全镇执法检查" not in page
    assert [(t["title"], t["count"]) for t in response.context["tabs"]] == list(
        zip(TITLES, [2, 1, 1, 1, 1], strict=True)
    )
    assert [c.heading for c in response.context["columns"]] == EXPECTED_COLUMNS["activity"]

    page = client.get(register_url("stations:register", books["room"].pk, book="issue", year=YEAR)).content.decode()
    assert MASKED in page and PHONE not in page and "王五" in page

    # Another year; a bad book or year falls back to the defaults.
    response = client.get(register_url("stations:register", books["room"].pk, book="nonsense", year="abc"))
    assert response.status_code == 200 and response.context["book"] == "activity"
    assert response.context["year"] == timezone.localdate().year


def test_township_page_and_a_county_page(world, books, login):
    client = login(world.clerk_a)
    response = client.get(register_url("stations:township-register", world.town_a.pk, book="activity", year=YEAR))
    assert response.status_code == 200
    assert [len(r) for r in response.context["rows"]] == [10] * 4
    assert "全镇执法检查" in response.content.decode()
    # A county is too broad for a book: its page offers the townships.
    client = login(world.county_admin)
    response = client.get(register_url("stations:township-register", world.county.pk))
    assert response.status_code == 200 and "rows" not in response.context
    assert {t.name for t in response.context["townships"]} == {"甲镇", "乙镇"}
    response = client.get(register_url("stations:township-register-xlsx", world.county.pk))
    assert response.status_code == 302


def test_pages_continue_the_numbering(world, books, login, monkeypatch):
    monkeypatch.setattr(views_registers, "PAGE_SIZE", 1)
    client = login(world.clerk_a)
    response = client.get(register_url("stations:register", books["room"].pk, book="activity", year=YEAR, page=2))
    rows = response.context["rows"]
    assert len(rows) == 1 and rows[0][0]["text"] == "2" and rows[0][3]["text"] == "甲村小组活动"
    assert response.context["paginator"].num_pages == 2


def test_page_queries_do_not_grow_with_rows(world, books, login):
    client = login(world.clerk_a)
    url = register_url("stations:register", books["room"].pk, book="activity", year=YEAR)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(8):
        activity(books["room"], date=D(YEAR, 10, i + 1), topic=f"加测活动{i}", deputies=[books["zhang"]])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 10
    assert len(many) == len(few)


def test_index_lists_rooms_in_scope(world, books, login):
    page = login(world.clerk_a).get(reverse("stations:register-index") + f"?year={YEAR}").content.decode()
    assert "甲村人大代表联络站" in page and "甲镇人大代表之家" in page and "乙镇人大代表之家" not in page
    assert reverse("stations:township-register", args=[world.town_a.pk]) in page
    page = login(world.county_admin).get(reverse("stations:register-index")).content.decode()
    assert "甲村人大代表联络站" in page and "乙镇人大代表之家" in page


# --- Excel --------------------------------------------------------------------------------------


def workbook_of(response):
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(body))


def data_rows(ws):
    """Rows below the header whose 序号 is a number."""
    return [row for row in ws.iter_rows(min_row=4, values_only=True) if isinstance(row[0], int)]


def test_xlsx_has_five_sheets_with_title_header_and_rows(world, books, login):
    response = login(world.clerk_a).get(register_url("stations:register-xlsx", books["room"].pk, book="all", year=YEAR))
    assert "attachment" in response["Content-Disposition"]
    wb = workbook_of(response)
    assert wb.sheetnames == TITLES
    expected_rows = {"activity": 2, "reception": 1, "training": 1, "issue": 1, "report": 1}
    for key, title in zip(REGISTERS, TITLES, strict=True):
        ws = wb[title]
        assert ws["A1"].value == f"甲村人大代表联络站 {YEAR}年{title}"
        assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
        assert [c.value for c in ws[3]] == EXPECTED_COLUMNS[key]
        assert len(data_rows(ws)) == expected_rows[key], key
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.print_title_rows == "$3:$3"
    activity_rows = data_rows(wb["活动记录簿"])
    # The formula-looking topic is stored as text, never as a formula.
    assert activity_rows[0][3] == "'" + FORMULA
    assert all(c.data_type != "f" for row in wb["活动记录簿"].iter_rows() for c in row)
    issue_row = data_rows(wb["问题转办反馈记录簿"])[0]
    assert issue_row[2] == f"王五（{MASKED}）"
    assert not any(PHONE in str(v) for row in wb["问题转办反馈记录簿"].iter_rows(values_only=True) for v in row)


def test_xlsx_of_one_book_and_of_the_township(world, books, login):
    client = login(world.clerk_a)
    wb = workbook_of(client.get(register_url("stations:register-xlsx", books["room"].pk, book="training", year=YEAR)))
    assert wb.sheetnames == ["学习培训记录簿"]
    wb = workbook_of(client.get(register_url("stations:township-register-xlsx", world.town_a.pk, year=YEAR)))
    assert wb.sheetnames == TITLES
    ws = wb["活动记录簿"]
    assert ws["A1"].value == f"甲镇 {YEAR}年活动记录簿"
    assert [c.value for c in ws[3]][:3] == ["序号", "日期", "阵地"]
    assert len(data_rows(ws)) == 4


def test_exports_are_audited(world, books, login):
    client = login(world.clerk_a)
    client.get(register_url("stations:register-xlsx", books["room"].pk, book="issue", year=YEAR))
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).latest("time")
    assert entry.user == world.clerk_a and entry.object_id == str(books["room"].pk)
    note = entry.changes["note"]["new"]
    assert "Excel" in note and "甲村人大代表联络站" in note and "问题转办反馈记录簿1条" in note


# --- PDF ----------------------------------------------------------------------------------------


def pdf_text_and_fonts(response, tmp_path):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "register.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return text, fonts


def test_pdf_has_a_cover_rows_page_numbers_and_cjk_fonts(world, books, login, tmp_path):
    client = login(world.clerk_a)
    url = register_url("stations:register-pdf", books["room"].pk, book="reception", year=YEAR)
    text, fonts = pdf_text_and_fonts(client.get(url), tmp_path)
    cover = text.split("\f")[0]
    assert "甲村人大代表联络站" in cover and "接待选民记录簿" in cover and f"{YEAR}年" in cover and "甲镇" in cover
    assert "村口道路破损严重" in text and "张建国" in text
    assert "去年的接待" not in text
    pages = re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text)
    assert pages and all(total == pages[0][1] for _, total in pages)
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK|Noto-?Serif-?CJK", line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column

    text, _ = pdf_text_and_fonts(
        client.get(register_url("stations:register-pdf", books["room"].pk, book="issue", year=YEAR)), tmp_path
    )
    assert MASKED in text and PHONE not in text


def test_pdf_of_all_books_has_a_cover_each(world, books, login, tmp_path):
    client = login(world.county_admin)
    text, _ = pdf_text_and_fonts(client.get(register_url("stations:township-register-pdf", world.town_a.pk)), tmp_path)
    for title in TITLES:
        assert title in text
    assert text.count("记录起止") == 5
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, object_id=str(world.town_a.pk)).exists()


# --- scoping ------------------------------------------------------------------------------------


def all_urls(world, books):
    room, town = books["room"].pk, world.town_a.pk
    return [
        register_url("stations:register", room),
        register_url("stations:register-xlsx", room),
        register_url("stations:register-pdf", room, book="report"),
        register_url("stations:township-register", town),
        register_url("stations:township-register-xlsx", town, book="report"),
        register_url("stations:township-register-pdf", town, book="report"),
    ]


def test_other_township_gets_404_on_every_url(world, books, login):
    client = login(world.clerk_b)
    for url in all_urls(world, books):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_own_township_and_county_open_every_url(world, books, login):
    for user in (world.clerk_a, world.county_admin):
        client = login(user)
        for url in all_urls(world, books):
            assert client.get(url).status_code == 200, (user.username, url)


def test_other_roles_and_anonymous_are_refused(world, books, client, login):
    for url in all_urls(world, books):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for user in (world.deputy_a, world.unit_user_a, world.auditor):
        assert login(user).get(all_urls(world, books)[0]).status_code == 403


def test_registers_for():
    assert [r.key for r in registers_for("all")] == list(EXPECTED_COLUMNS)
    assert [r.key for r in registers_for("report")] == ["report"]
