"""Importing the deputy roster from Excel (deputies/importing.py, deputies/views_import.py).

A deliberately messy workbook, built here with openpyxl the way townships really keep
their 代表信息登记表 (title row, two-row merged header, every date form, ID numbers as text,
with x, full-width, with spaces, as numbers, 15 digits, duplicates, blank trailing rows),
is checked for the exact problems it must report and the values it must accept; then
all-or-nothing commits, update-or-skip, files that are no workbook, the background job
path and scoping."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from deputies import importing
from deputies.models import Constituency, Deputy, ImportBatch, Mandate
from org.jobs import job_execute
from org.models import AuditEntry, Job, Term
from org.validators import id_checksum
from tests.factories import DeputyFactory, ImportBatchFactory, MandateFactory

pytestmark = pytest.mark.django_db

UPLOAD = reverse("deputies:import-upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def terms(world):
    """The current township term (kept on the county, as most counties do) and county term."""
    today = timezone.localdate()
    start, end = today.replace(year=today.year - 2), today.replace(year=today.year + 3)
    return {
        "township": Term.objects.create(
            region=world.county, level="township", number=20, start_date=start, end_date=end
        ),
        "county": Term.objects.create(region=world.county, level="county", number=18, start_date=start, end_date=end),
    }


# --- building ID numbers and workbooks -----------------------------------------------------------


def make_id(born: datetime.date, seq: int = 1, prefix: str = "110101", x: bool = False) -> str:
    """A valid 18-digit ID; an odd `seq` is a man, an even one a woman. Unless `x`, one
    ending in a digit (the next free sequence of the same sex)."""
    while True:
        first17 = f"{prefix}{born:%Y%m%d}{seq:03d}"
        number = first17 + id_checksum(first17)
        if x or not number.endswith("X"):
            return number
        seq += 2


def id_ending_in_x(born: datetime.date, female: bool) -> str:
    for seq in range(2 if female else 1, 999, 2):
        number = make_id(born, seq, x=True)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check character found")


def workbook_bytes(rows, header=None, title="甲镇人大代表信息登记表") -> bytes:
    """A plain sheet: a title row, the header, the rows."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(header or ["姓名", "性别", "民族", "出生年月", "身份证号", "联系电话", "政治面貌", "职业类别"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


ID = {
    "zhang": make_id(datetime.date(1980, 1, 15), 11),
    "li": id_ending_in_x(datetime.date(1975, 3, 8), female=True),
    "wang": make_id(datetime.date(1968, 7, 9), 13),
    "zhao": make_id(datetime.date(1990, 2, 5), 31),
    "qian": make_id(datetime.date(1985, 6, 1), 22),
    "sun": make_id(datetime.date(1970, 8, 20), 15),
    "zhou": make_id(datetime.date(1968, 6, 11), 17),
    "zheng": make_id(datetime.date(1972, 4, 4), 19),
    "feng": make_id(datetime.date(1966, 9, 9), 21),
    "old": make_id(datetime.date(1960, 5, 5), 23),
    "other": make_id(datetime.date(1962, 2, 2), 24),
    "chu": make_id(datetime.date(1980, 1, 5), 25),
    "wei": make_id(datetime.date(1982, 3, 10), 27),
    "jiang": make_id(datetime.date(1979, 5, 2), 29),
    "shen": make_id(datetime.date(1979, 5, 2), 33),
}
OLD_15 = "110101600101003"  # first-generation ID: 1960-01-01, a man
OLD_15_AS_18 = "11010119600101003" + id_checksum("11010119600101003")
BAD_CHECKSUM = ID["feng"][:-1] + ("0" if ID["feng"][-1] != "0" else "1")


def messy_workbook() -> bytes:
    """The roster as a township keeps it: title row, a two-row header with merged cells
    (基本信息 over 姓名…, the rest merged down), its own column names, a 选区 merged over two
    deputies, every date form, ID numbers in every shape, blank and footer rows below."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws["A1"] = "甲镇第二十届人民代表大会代表信息登记表"
    ws.merge_cells("A1:R1")
    upper = ["序号", "基本信息", None, None, None, None, "公民身份号码", "手机", "党派", "文化程度", "职业类别",
             "单位及职务", "层级", "选区", "当选日期", "是否连任", "是否归侨", "备注"]  # fmt: skip
    for col, text in enumerate(upper, start=1):
        if text:
            ws.cell(row=2, column=col, value=text)
    ws.merge_cells("B2:F2")
    for letter in "AGHIJKLMNOPQR":
        ws.merge_cells(f"{letter}2:{letter}3")
    for col, text in enumerate(["姓名", "性别", "民族", "出生日期", "所属民主党派"], start=2):
        ws.cell(row=3, column=col, value=text)
    serial = (datetime.date(1968, 6, 11) - datetime.date(1899, 12, 30)).days
    rows = {
        4: ["1", "张　三", "男", "汉族", "1980.01", None, ID["zhang"], "139 1234 5678", "中共党员", "大学本科",
            "基层干部", "甲村党支部书记", "乡镇", "第1选区", "2021.12", "是", "否", None],
        5: ["2", "李四", "女性", "回", "1975年3月", None, ID["li"].lower(), 13800001111, "中国国民党革命委员会",
            "高中（中专）", "专业技术人员", "甲镇中心学校教师", "乡镇、县", None, "2021年12月1日", "√", "Y", None],
        6: ["3", "王五", "男", "满族", "1968年7月9日", None, to_fullwidth(ID["wang"]), None, "群众", "初中", "农民",
            "甲村村民", None, "东村", None, "否", None, None],
        7: ["4", "赵六", "男", "汉族", "1990-2-5", None, f"{ID['zhao'][:6]} {ID['zhao'][6:14]} {ID['zhao'][14:]}",
            None, "党员", "大专", "工人", None, None, None, None, None, None, None],
        8: ["5", "钱七", "女", "汉族", "1985/06/01", None, float(ID["qian"]), None, "群众", None, "农民", None,
            None, None, None, None, None, None],
        9: ["6", "孙八", "男", "汉族", datetime.datetime(1970, 8, 20), None, ID["sun"], None, "中共预备党员", None,
            "企业负责人", None, None, None, None, None, None, None],
        10: ["7", "周九", "男", "汉族", serial, None, ID["zhou"], None, "群众", None, None, None, None, None, None,
             None, None, None],
        11: ["8", "吴十", "男", "汉族", "1960.1", None, OLD_15, None, "群众", None, None, None, None, None, None,
             None, None, None],
        12: ["9", "郑十一", "男", "火星族", "1972.04", None, ID["zheng"], None, "群众", None, None, None, None,
             None, None, None, None, None],
        13: ["10", "冯十二", "男", "汉族", "1966.09", None, BAD_CHECKSUM, None, "群众", None, None, None, None,
             None, None, None, None, None],
        14: ["11", "陈十三", "男", "汉族", "1980.01", None, ID["zhang"], None, "群众", None, None, None, None, None,
             None, None, None, None],
        15: ["12", "老代表", "男", "汉族", None, None, ID["old"], "13700002222", None, None, None, None, None, None,
             None, None, None, None],
        16: ["13", "别镇人", "女", "汉族", None, None, ID["other"], None, "群众", None, None, None, None, None, None,
             None, None, None],
        17: ["14", "褚十五", "男", "汉族", "80.1.5", None, ID["chu"], None, "群众", None, None, None, None, None,
             None, None, None, None],
        18: ["15", "卫十六", "男", "汉族", "1982.03", None, ID["wei"], None, "群众", None, "程序员", None, None,
             None, None, None, None, None],
        19: ["16", "蒋十七", "女", "汉族", "1979.05", None, ID["jiang"], None, "群众", None, None, None, None,
             None, None, None, None, None],
        20: ["17", "沈十八", "男", "汉族", "1979.06", None, ID["shen"], None, "群众", None, None, None, None, None,
             None, None, None, None],
        # Blank trailing rows: a pre-numbered 序号, spaces, nothing; then the signature line.
        21: ["18", None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None],
        22: ["19", "　", " ", None, None, None, "  ", None, None, None, None, None, None, None, None, None, None],
        25: ["填表人：李秘书　　审核人：王主席"],
    }  # fmt: skip
    for r, values in rows.items():
        for col, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=col, value=value)
    ws["E9"].number_format = "yyyy-mm-dd"
    ws.merge_cells("N4:N5")  # 第1选区 written once for two deputies
    ws.merge_cells("A25:R25")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, name="代表信息登记表.xlsx", follow=False):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)}, follow=follow)


def latest_batch():
    return ImportBatch.objects.latest("pk")


def commit_entries(batch):
    """The audit entries of the batch's commit."""
    return list(
        AuditEntry.objects.filter(
            model="deputies.importbatch", object_id=str(batch.pk), action=AuditEntry.Action.IMPORT
        )
    )


def problems_of(batch, level="error"):
    return [(p["row"], p["column"], p["message"]) for p in batch.problems if p["level"] == level]


# --- the messy workbook ---------------------------------------------------------------------------


@pytest.fixture
def messy_world(world, terms):
    Constituency.objects.create(region=world.town_a, number=1, name="东村")
    DeputyFactory(region=world.town_a, name="老代表", id_number=ID["old"], phone="13900009999", work_unit="老单位")
    DeputyFactory(region=world.town_b, name="乙镇代表", id_number=ID["other"])
    return world


def test_messy_workbook_reports_the_exact_problems(messy_world, login):
    client = login(messy_world.clerk_a)
    response = upload(client, messy_workbook())
    batch = latest_batch()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert batch.state == ImportBatch.State.PARSED
    assert batch.region == messy_world.town_a and batch.uploaded_by == messy_world.clerk_a
    assert batch.total_rows == 17  # rows 4-20; the blank, spaces-only and 填表人 rows are ignored
    assert problems_of(batch) == [
        (8, "公民身份号码", "身份证号被Excel存成了数字，末几位已丢失，请把该列设为文本后重新填写"),
        (12, "民族", "“火星族”不是56个民族的规范名称，请按模板下拉列表填写（如 汉族、回族、满族、蒙古族）。"),
        (13, "公民身份号码", "身份证号末位校验码不正确，号码可能有误，请核对。"),
        (14, "公民身份号码", "与第4行的身份证号重复（同一文件中同一人只能出现一次）。"),
        (16, "公民身份号码", "该身份证号已在其他乡镇登记为代表，不能重复导入；如代表调动，请联系县人大代表工委。"),
        (17, "出生日期", "“80.1.5”的年份只有两位，无法确定是哪个世纪，请写四位年份，如 1980.01.05。"),
        (
            18,
            "职业类别",
            "“程序员”不在职业类别的可选范围内。请填写：工人、农民、专业技术人员、党政领导干部、企业负责人、基层干部、其他。",
        ),
        (19, "性别", "性别与身份证号不一致（按身份证号应为男）。"),
        (20, "出生日期", "出生年月（1979年6月）与身份证号（1979年5月2日）不一致。"),
    ]
    assert problems_of(batch, "warning") == [
        (
            11,
            "公民身份号码",
            f"15位旧身份证号已按国家标准升位为18位（{OLD_15_AS_18[:4]}**********{OLD_15_AS_18[-4:]}），请核对。",
        ),
    ]
    assert (batch.error_count, batch.warning_count, batch.create_count, batch.existing_count) == (9, 1, 7, 1)
    # The other township's record shows through nothing but the fact.
    assert not any("乙镇" in p["message"] for p in batch.problems)
    actions = {r["row"]: r["action"] for r in batch.rows}
    assert actions == {
        4: "create", 5: "create", 6: "create", 7: "create", 8: "error", 9: "create", 10: "create", 11: "create",
        12: "error", 13: "error", 14: "error", 15: "existing", 16: "error", 17: "error", 18: "error", 19: "error",
        20: "error",
    }  # fmt: skip
    old = next(r for r in batch.rows if r["row"] == 15)
    assert old["changes"] == ["出生年月", "联系电话"]  # the birth date comes from the ID number
    assert Deputy.objects.filter(region=messy_world.town_a).count() == 1  # nothing saved yet

    page = client.get(batch.get_absolute_url()).content.decode()
    assert "第12行「民族」：“火星族”不是56个民族的规范名称" in page
    assert "第8行「公民身份号码」：身份证号被Excel存成了数字，末几位已丢失，请把该列设为文本后重新填写" in page
    assert "import-commit-form" not in page  # refused while errors remain
    # Full ID numbers are not on the preview.
    assert ID["zhang"] not in page


def test_messy_workbook_accepts_every_form_of_the_good_rows(messy_world):
    table = importing.read_table(messy_workbook())
    # Row 3 names every column once the merged cells above are filled in.
    assert table.header_rows[-1] == 2
    assert table.headers["id_number"] == "公民身份号码" and table.headers["birth"] == "出生日期"
    result = importing.analyse(table, messy_world.town_a)
    v = result.values
    c1 = Constituency.objects.get(region=messy_world.town_a, number=1)
    assert (v[4]["name"], v[4]["gender"], v[4]["ethnicity"], v[4]["birth_date"]) == (
        "张三", "M", "汉族", datetime.date(1980, 1, 15)
    )  # fmt: skip
    assert (v[4]["phone"], v[4]["party"], v[4]["education"], v[4]["occupation"]) == (
        "13912345678", "cpc", "bachelor", "grassroots"
    )  # fmt: skip
    assert (v[4]["constituency"], v[4]["elected_on"], v[4]["reelected"], v[4]["returned_overseas"]) == (
        c1.pk, datetime.date(2021, 12, 1), True, False
    )  # fmt: skip
    assert v[5]["id_number"] == ID["li"] and ID["li"].endswith("X")  # lower-case x accepted
    assert (v[5]["gender"], v[5]["ethnicity"], v[5]["party"], v[5]["democratic_party"]) == (
        "F",
        "回族",
        "democratic",
        "民革",
    )
    assert (v[5]["phone"], v[5]["education"], v[5]["levels"]) == ("13800001111", "senior", ["township", "county"])
    assert v[5]["constituency"] == c1.pk  # from the merged cell above
    assert (v[5]["reelected"], v[5]["returned_overseas"], v[5]["elected_on"]) == (
        True,
        True,
        datetime.date(2021, 12, 1),
    )
    assert v[6]["id_number"] == ID["wang"]  # full-width digits
    assert (v[6]["ethnicity"], v[6]["party"], v[6]["constituency"], v[6]["reelected"]) == (
        "满族",
        "masses",
        c1.pk,
        False,
    )
    assert v[6]["birth_date"] == datetime.date(1968, 7, 9)
    assert v[7]["id_number"] == ID["zhao"] and v[7]["party"] == "cpc"  # spaces inside; 党员
    assert v[9]["birth_date"] == datetime.date(1970, 8, 20) and v[9]["party"] == "cpc"  # a date cell; 预备党员
    assert v[10]["birth_date"] == datetime.date(1968, 6, 11)  # an Excel serial number
    assert v[11]["id_number"] == OLD_15_AS_18 and v[11]["birth_date"] == datetime.date(1960, 1, 1)
    assert sorted(v) == [4, 5, 6, 7, 9, 10, 11, 15]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1980.01", (1980, 1, None)),
        ("1980.1", (1980, 1, None)),
        ("1980年1月", (1980, 1, None)),
        ("1980年1月5日", (1980, 1, 5)),
        ("1980-1-5", (1980, 1, 5)),
        ("1980/01/05", (1980, 1, 5)),
        ("1980-01-05 00:00:00", (1980, 1, 5)),
        ("１９８０．０１", (1980, 1, None)),
        ("198001", (1980, 1, None)),
        ("19800105", (1980, 1, 5)),
        (29225, (1980, 1, 5)),
        (1980.05, (1980, 5, None)),
        (datetime.datetime(1980, 1, 5), (1980, 1, 5)),
        (datetime.date(1980, 1, 5), (1980, 1, 5)),
    ],
)
def test_date_forms(cell, expected):
    d = importing.parse_date(cell)
    assert (d.year, d.month, d.day) == expected


def test_a_number_like_1980_1_may_be_january_or_october():
    d = importing.parse_date(1980.1)
    assert (d.month, d.alt_month) == (1, 10)
    assert importing._same_birth(d, datetime.date(1980, 10, 3))
    assert importing._same_birth(d, datetime.date(1980, 1, 3))


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("80.1.5", "“80.1.5”的年份只有两位，无法确定是哪个世纪，请写四位年份，如 1980.01.05。"),
        ("1980", "“1980”只有年份，请写到月份，如 1980.01。"),
        (1980, "“1980”只有年份，请写到月份，如 1980.01。"),
        ("1980.13", "“1980.13”的月份 13 不存在。"),
        ("1980年2月30日", "“1980年2月30日”不是有效的日期（1980年2月没有30日）。"),
        ("去年", "无法识别的日期“去年”，请写成 1980.01、1980年1月 或 1980-01-05。"),
    ],
)
def test_dates_that_are_refused(cell, message):
    with pytest.raises(importing.FieldError) as exc:
        importing.parse_date(cell)
    assert str(exc.value) == message


def test_id_number_shapes():
    number = ID["zhang"]
    assert importing.parse_id_number(number) == (number, None)
    assert importing.parse_id_number(f" {number[:6]} {number[6:]} ") == (number, None)
    assert importing.parse_id_number(to_fullwidth(number)) == (number, None)
    assert importing.parse_id_number(ID["li"].lower()) == (ID["li"], None)
    converted, warning = importing.parse_id_number(OLD_15)
    assert converted == OLD_15_AS_18 and "升位" in warning
    assert importing.parse_id_number(float(OLD_15))[0] == OLD_15_AS_18  # 15 digits survive as a number
    for numeric in (float(number), int(number), "1.10101E+17"):
        with pytest.raises(importing.FieldError, match="身份证号被Excel存成了数字，末几位已丢失"):
            importing.parse_id_number(numeric)
    with pytest.raises(importing.FieldError, match="身份证号应为18位（现为17位）"):
        importing.parse_id_number(number[:-1])


def test_vocabularies():
    assert importing.parse_party("民盟盟员", None)[:2] == ("democratic", "民盟")
    assert importing.parse_party("民主党派", "中国民主促进会")[:2] == ("democratic", "民进")
    assert importing.parse_party("共青团员", None)[0] == "masses"
    assert importing.parse_party("无党派人士", None)[:2] == ("independent", "")
    with pytest.raises(importing.FieldError, match="请在“所属民主党派”列填写"):
        importing.parse_party("民主党派", None)
    with pytest.raises(importing.FieldError, match="应为空"):
        importing.parse_party("中共党员", "民革")
    assert importing.parse_ethnicity("蒙古") == "蒙古族"
    assert [importing.parse_bool(x) for x in ("是", "否", "√", "Y", "n", "×", None)] == [
        True, False, True, True, False, False, None
    ]  # fmt: skip
    assert importing.parse_levels("乡镇、县") == ["township", "county"]
    assert importing.parse_name("阿依古丽 • 买买提") == "阿依古丽·买买提"


def test_header_aliases_and_title_rows():
    data = workbook_bytes(
        [["刘一", "女", "汉族", "1988.8", make_id(datetime.date(1988, 8, 8), 2), "13600000000", "群众", "大学本科"]],
        header=["代表姓名", "性别", "民族", "出生年月（年.月）", "身份证号码*", "联系方式", "政治面貌", "文化程度"],
        title="XX镇人大代表花名册",
    )
    table = importing.read_table(data)
    assert table.header_rows == (1,)
    assert set(table.columns) == {"name", "gender", "ethnicity", "birth", "id_number", "phone", "party", "education"}


def test_a_two_row_header_without_merged_cells():
    wb = Workbook()
    ws = wb.active
    ws.append(["代表名册"])
    ws.append(["姓名", "基本情况", None, "公民身份号码", "备注"])
    ws.append([None, "性别", "出生年月", None, None])
    ws.append(["刘一", "女", "1988.08", make_id(datetime.date(1988, 8, 8), 2), None])
    out = io.BytesIO()
    wb.save(out)
    table = importing.read_table(out.getvalue())
    assert table.header_rows == (1, 2)
    assert table.columns == {"name": 0, "gender": 1, "birth": 2, "id_number": 3, "note": 4}
    assert table.data_rows == [3]


def test_openpyxl_reads_what_calamine_cannot(world, terms, monkeypatch):
    monkeypatch.setattr(importing, "_read_sheets_calamine", lambda data: None)
    table = importing.read_table(workbook_bytes(_good_rows(2)))
    result = importing.analyse(table, world.town_a)
    assert (result.total_rows, result.create_count, result.error_count) == (2, 2, 0)


# --- all or nothing; update or skip -----------------------------------------------------------------


def cn_name(prefix: str, i: int) -> str:
    """代表 + the number in Chinese digits: names hold no Arabic digits."""
    return prefix + "".join("零一二三四五六七八九"[int(d)] for d in str(i))


def _good_rows(n=3, start=100):
    return [
        [
            cn_name("代表", i),
            "男",
            "汉族",
            "1970.01",
            make_id(datetime.date(1970, 1, 1), start + 2 * i + 1),
            "",
            "群众",
            "农民",
        ]
        for i in range(n)
    ]


def test_one_error_commits_nothing_and_fixing_it_commits_all(world, terms, login):
    client = login(world.clerk_a)
    rows = _good_rows(3)
    bad = ["错一个", "男", "汉族", "1970.01", "12345", "", "群众", "农民"]
    upload(client, workbook_bytes([*rows, bad]))
    batch = latest_batch()
    assert problems_of(batch) == [(6, "身份证号", "身份证号应为18位（现为5位）。")]
    response = client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"}, follow=True)
    assert "还有 1 处错误，不能导入" in response.content.decode()
    assert not Deputy.objects.exists() and not Mandate.objects.exists()
    # Even a commit forced past the view re-checks the file and saves nothing.
    with pytest.raises(importing.CommitRefused, match="还有 1 处错误"):
        importing.commit_batch(batch, world.clerk_a, "skip")
    assert not Deputy.objects.exists()

    bad[4] = make_id(datetime.date(1970, 1, 1), 99)
    upload(client, workbook_bytes([*rows, bad]))
    batch = latest_batch()
    assert batch.error_count == 0 and batch.create_count == 4
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "import-commit-form" in page
    response = client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"}, follow=True)
    assert "导入完成：新增代表 4 名" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.state, batch.created_count, batch.committed_by) == ("committed", 4, world.clerk_a)
    deputies = Deputy.objects.filter(region=world.town_a)
    assert deputies.count() == 4
    assert deputies.get(name="代表零").name_initials == "dbl"  # set although bulk_create skips save()
    mandates = Mandate.objects.filter(deputy__region=world.town_a)
    assert mandates.count() == 4
    assert set(mandates.values_list("term", "status", "level", "region")) == {
        (terms["township"].pk, "serving", "township", world.town_a.pk)
    }
    assert set(mandates.values_list("elected_on", flat=True)) == {terms["township"].start_date}
    (entry,) = commit_entries(batch)
    assert "新增代表 4 名" in entry.changes["note"]["new"] and entry.user == world.clerk_a
    # A second click does not import twice.
    response = client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"}, follow=True)
    assert "不能重复导入" in response.content.decode()
    assert Deputy.objects.count() == 4


def test_update_or_skip_an_existing_deputy(world, terms, login):
    number = make_id(datetime.date(1965, 3, 3), 41)
    deputy = DeputyFactory(region=world.town_a, name="老张", id_number=number, phone="13900000001", work_unit="老单位")
    client = login(world.clerk_a)
    header = ["姓名", "性别", "身份证号", "联系电话", "工作单位及职务"]
    data = workbook_bytes([["老张", "男", number, "13900000002", None]], header=header)

    upload(client, data)
    batch = latest_batch()
    assert (batch.create_count, batch.existing_count, batch.error_count) == (0, 1, 0)
    client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"})
    batch.refresh_from_db()
    assert (batch.state, batch.skipped_count, batch.updated_count) == ("committed", 1, 0)
    deputy.refresh_from_db()
    assert deputy.phone == "13900000001"
    assert not deputy.mandates.exists()

    upload(client, data)
    batch = latest_batch()
    client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "update"})
    batch.refresh_from_db()
    assert (batch.state, batch.updated_count, batch.skipped_count, batch.policy) == ("committed", 1, 0, "update")
    deputy.refresh_from_db()
    assert deputy.phone == "13900000002"
    assert deputy.work_unit == "老单位"  # a blank cell keeps what is registered
    # Re-elected: the current term's seat is registered with the update.
    assert deputy.mandates.get().term == terms["township"]


def test_update_keeps_a_serving_mandate_and_needs_a_term(world, login):
    # No term covers today: new deputies cannot get their seat, so the import is refused.
    client = login(world.clerk_a)
    upload(client, workbook_bytes(_good_rows(1)))
    batch = latest_batch()
    assert batch.error_count == 1
    assert "没有覆盖今天的乡镇人大届次" in batch.problems[0]["message"] and batch.problems[0]["row"] is None

    mandate = MandateFactory.in_township(world.town_a)  # a township term of its own, covering today
    deputy = mandate.deputy
    deputy.name = "老李"
    deputy.id_number = make_id(datetime.date(1970, 1, 1), 101)
    deputy.save()
    upload(client, workbook_bytes([[deputy.name, "男", "汉族", "1970.01", deputy.id_number, "", "群众", "工人"]]))
    batch = latest_batch()
    assert batch.error_count == 0 and batch.existing_count == 1
    importing.commit_batch(batch, world.clerk_a, "update")
    assert deputy.mandates.count() == 1  # already serving in that term: no second seat
    deputy.refresh_from_db()
    assert deputy.occupation == "worker"


# --- files that are no workbook ---------------------------------------------------------------------


def _form_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.context["form"].errors["file"])


def test_files_that_are_not_a_workbook_are_refused_in_chinese(world, login, monkeypatch):
    client = login(world.clerk_a)
    csv = "姓名,性别,身份证号\n张三,男,110101198001010011\n".encode("gb18030")
    assert "CSV 或文本文件" in _form_errors(upload(client, csv, "名单.xlsx"))
    assert "不是有效的 Excel 工作簿" in _form_errors(upload(client, bytes(range(256)) * 40, "乱码.xlsx"))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000
    assert "97-2003（.xls）" in _form_errors(upload(client, ole, "旧表.xlsx"))
    assert "网页（HTML/XML）格式" in _form_errors(
        upload(client, b"<html><table><tr><td>1</td></tr></table></html>", "导出.xlsx")
    )
    assert "只支持 Excel 工作簿（.xlsx）" in _form_errors(upload(client, ole, "旧表.xls"))
    assert "空文件" in _form_errors(upload(client, b"", "空.xlsx"))  # Django's own check, in Chinese
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "Word 文档" in _form_errors(upload(client, docx.getvalue(), "说明.xlsx"))
    assert "没有找到表头" in _form_errors(upload(client, workbook_bytes([], header=["甲", "乙"]), "空表.xlsx"))
    assert "缺少“身份证号”列" in _form_errors(upload(client, workbook_bytes([], header=["姓名", "性别"]), "缺列.xlsx"))
    monkeypatch.setattr(importing, "MAX_BYTES", 1000)
    assert "不能超过 20 MB" in _form_errors(upload(client, workbook_bytes(_good_rows(1)), "大.xlsx"))
    assert not ImportBatch.objects.exists()


def _sheet_zip(sheet_xml: bytes) -> bytes:
    """A minimal .xlsx around one worksheet part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def test_a_zip_bomb_and_a_sheet_of_absurd_extent_are_refused(world, login, monkeypatch):
    client = login(world.clerk_a)
    # Two cells, A1 and XFD1048576: tiny on disk, 17 billion cells for a reader that trusts it.
    far = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    )
    message = _form_errors(upload(client, _sheet_zip(far), "远处.xlsx"))
    assert "使用范围过大" in message and "删除数据下方和右侧的空白行列" in message
    # Far more unpacked than packed (the limit lowered so the test stays fast).
    monkeypatch.setattr(importing, "MAX_UNZIPPED", 2 * 1024 * 1024)
    bomb = _sheet_zip(b"<worksheet>" + b" " * (8 * 1024 * 1024) + b"</worksheet>")
    assert len(bomb) < 100_000
    assert "解压后过大" in _form_errors(upload(client, bomb, "炸弹.xlsx"))
    assert not ImportBatch.objects.exists()


# --- the template ------------------------------------------------------------------------------------


def test_template_downloads_with_lists_and_imports_to_nothing(world, terms, login):
    Constituency.objects.create(region=world.town_a, number=2, name="西村")
    client = login(world.clerk_a)
    response = client.get(UPLOAD, {"download": "template"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = response.content
    wb = load_workbook(io.BytesIO(data))
    ws = wb["代表信息"]
    assert ws["A1"].value == "甲镇人大代表信息登记表"
    assert [c.value for c in ws[2]][:5] == ["姓名", "性别", "民族", "出生年月", "身份证号"]
    assert [c.value for c in ws[2]][-1] == "备注"
    assert "填写说明" in wb.sheetnames and wb["选项"].sheet_state == "hidden"
    formulas = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert set("BCGIJM") <= set(formulas)  # 性别 民族 政治面貌 学历 职业类别 (and 层级)
    ethnicities = [c.value for c in wb["选项"]["B"][1:] if c.value]
    assert len(ethnicities) == 56 and ethnicities[0] == "汉族"
    assert "第2选区（西村）" in [c.value for row in wb["选项"].iter_rows() for c in row]
    # The example row is ignored: the untouched template imports nobody and reports nothing.
    table = importing.read_table(data)
    result = importing.analyse(table, world.town_a)
    assert result.total_rows == 0 and result.problems == []


# --- large files: background jobs ----------------------------------------------------------------------


def unique_ids(n: int):
    """n different men's ID numbers (birth date, number), none ending in X."""
    born, seq = datetime.date(1960, 1, 1), 1
    for _ in range(n):
        while True:
            first17 = f"110101{born:%Y%m%d}{seq:03d}"
            number = first17 + id_checksum(first17)
            seq += 2
            if seq > 999:
                born, seq = born + datetime.timedelta(days=1), 1
            if not number.endswith("X"):
                break
        yield born, number


def big_workbook(n: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("代表信息")
    ws.append(["批量测试"])
    ws.append(["姓名", "性别", "民族", "出生年月", "身份证号", "政治面貌", "职业类别"])
    for i, (born, number) in enumerate(unique_ids(n)):
        ws.append([cn_name("批量", i), "男", "汉族", f"{born:%Y.%m}", number, "群众", "农民"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_large_file_is_checked_and_committed_by_the_job_kinds(world, terms, login):
    client = login(world.clerk_a)
    response = upload(client, big_workbook(2500), "全镇.xlsx")
    batch = latest_batch()
    assert response["Location"] == batch.get_absolute_url()
    assert batch.state == ImportBatch.State.PARSING
    job = batch.job
    assert (job.kind, job.region, job.requested_by, job.params) == (
        "deputy_import_parse", world.town_a, world.clerk_a, {"batch_id": batch.pk}
    )  # fmt: skip
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="import-progress"' in page and "hx-get" in page
    poll = client.get(reverse("deputies:import-progress", args=[batch.pk]))
    assert "HX-Refresh" not in poll

    job_execute(job_id=job.pk)
    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert (job.progress, job.output_name.endswith(".xlsx")) == (100, True)
    assert (batch.state, batch.total_rows, batch.create_count, batch.error_count) == ("parsed", 2500, 2500, 0)
    assert client.get(reverse("deputies:import-progress", args=[batch.pk]))["HX-Refresh"] == "true"

    client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"})
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.COMMITTING and batch.job.kind == "deputy_import_commit"
    assert not Deputy.objects.exists()
    job_execute(job_id=batch.job_id)
    batch.refresh_from_db()
    assert batch.job.state == Job.State.DONE, batch.job.message
    assert (batch.state, batch.created_count) == ("committed", 2500)
    assert Deputy.objects.filter(region=world.town_a).count() == 2500
    assert Mandate.objects.filter(region=world.town_a, term=terms["township"], status="serving").count() == 2500
    (entry,) = commit_entries(batch)
    assert "新增代表 2500 名" in entry.changes["note"]["new"] and entry.user == world.clerk_a


def test_a_failed_background_check_ends_the_batch_with_its_message(world, terms, login):
    client = login(world.clerk_a)
    upload(client, big_workbook(2100))
    batch = latest_batch()
    batch.file.delete(save=False)  # gone before the worker got to it
    job_execute(job_id=batch.job_id)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED and "上传的文件已不存在" in batch.message
    assert batch.job.state == Job.State.FAILED and "上传的文件已不存在" in batch.job.message
    assert "上传的文件已不存在" in client.get(batch.get_absolute_url()).content.decode()


# --- scoping and roles ----------------------------------------------------------------------------------


def test_clerk_b_cannot_see_or_commit_a_batch_of_township_a(world, terms, login):
    client = login(world.clerk_a)
    upload(client, workbook_bytes(_good_rows(2)))
    batch = latest_batch()
    client = login(world.clerk_b)
    for name in ("deputies:import-detail", "deputies:import-progress", "deputies:import-report"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404, name
    assert client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"}).status_code == 404
    assert str(batch) not in client.get(UPLOAD).content.decode()
    batch.refresh_from_db()
    assert batch.state == "parsed" and not Deputy.objects.exists()


def test_county_admin_reads_batches_but_does_not_upload_or_commit(world, terms, login):
    batch = ImportBatchFactory.in_township(world.town_a)
    client = login(world.county_admin)
    page = client.get(UPLOAD).content.decode()
    assert str(batch) in page and "import-upload-form" not in page
    assert client.get(batch.get_absolute_url()).status_code == 200
    assert "import-commit-form" not in client.get(batch.get_absolute_url()).content.decode()
    assert client.post(reverse("deputies:import-commit", args=[batch.pk])).status_code == 403
    assert upload(client, workbook_bytes(_good_rows(1))).status_code == 403
    report = client.get(reverse("deputies:import-report", args=[batch.pk]))
    assert report.status_code == 200
    rows = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(min_row=2, values_only=True))
    assert rows[0][:4] == (3, "导入测试人", "1101**********0011", "将新增")


def test_a_clerk_of_two_townships_picks_one_of_them_only(world, terms, login):
    from tests.factories import member

    member(world.town_b, "township_clerk", user=world.clerk_a)
    client = login(world.clerk_a)
    form = client.get(UPLOAD).context["form"]
    assert set(form.fields["township"].queryset) == {world.town_a, world.town_b}
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("x.xlsx", workbook_bytes(_good_rows(1))), "township": world.town_b.pk}
    )
    assert latest_batch().region == world.town_b, response
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("x.xlsx", workbook_bytes(_good_rows(1))), "township": world.county.pk}
    )
    assert "township" in response.context["form"].errors
