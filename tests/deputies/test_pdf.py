"""The duty file 履职档案 as PDF: scoped like the duty file page, with the record, mandates,
groups, voter contacts and registered panels in it, a CJK font embedded (pdffonts: a missing
font draws empty boxes and pdftotext would not notice), ID numbers masked unless allowed,
page numbers, and an audit line."""

from __future__ import annotations

import datetime
import re
import subprocess

import pytest

from deputies.models import Constituency, DeputyGroup, Mandate, VoterContact
from deputies.panels import duty_file_panels
from org.models import AuditEntry, Term
from org.roles import Role
from tests.deputies.test_export import make_deputy

pytestmark = pytest.mark.django_db


@pytest.fixture
def deputy(world):
    """A township-A deputy with two terms, a group, a constituency and many voter contacts
    (enough for the contacts table to run onto a second page)."""
    d = make_deputy(world.town_a, "陈晓燕", gender="F", work_unit="甲镇甲村党支部书记、村委会主任")
    seat = Constituency.objects.create(region=world.town_a, number=3, name="甲村1—4组", seats=2)
    Mandate.objects.filter(deputy=d).update(constituency=seat, presidium_role=Mandate.PresidiumRole.VICE_CHAIR)
    old_term = Term.objects.create(
        region=world.town_a, number=19, start_date=datetime.date(2016, 12, 1), end_date=datetime.date(2021, 11, 30)
    )
    Mandate.objects.create(
        deputy=d,
        region=world.town_a,
        term=old_term,
        constituency=seat,
        status=Mandate.Status.EXPIRED,
        elected_on=old_term.start_date,
        ended_on=old_term.end_date,
    )
    group = DeputyGroup.objects.create(region=world.town_a, name="甲村代表小组", leader=d, presidium_contact=d)
    group.members.add(d)
    for i in range(40):
        VoterContact.objects.create(
            deputy=d,
            name=f"选民{i:02d}",
            phone=f"1380000{i:04d}",
            village=world.village_a,
            address=f"甲村{i % 9 + 1}组",
        )
    return d


def pdf_of(client, deputy, tmp_path):
    response = client.get(f"/deputies/{deputy.pk}/pdf/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "duty.pdf"
    path.write_bytes(response.content)
    return path


def text_of(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_scoping(world, deputy, login):
    url = f"/deputies/{deputy.pk}/pdf/"
    assert login(world.clerk_b).get(url).status_code == 404
    assert login(world.unit_user_a).get(url).status_code == 404
    assert login(world.deputy_a).get(url).status_code == 404  # not its own record
    response = login(world.clerk_a).get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    from django.test import Client

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_content_fonts_and_page_numbers(world, deputy, login, tmp_path):
    path = pdf_of(login(world.county_admin), deputy, tmp_path)
    text = text_of(path)
    for expected in (
        "人大代表履职档案",
        "陈晓燕",
        "一、基本情况",
        "二、代表资格",
        "三、代表小组",
        "四、联系选民",
        "甲镇甲村党支部书记、村委会主任",
        "第二十届",
        "第十九届",
        "第3选区（甲村1—4组）",
        "副主席",
        "甲村代表小组",
        "选民39",
    ):
        assert expected in text, expected
    pages = re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text)
    assert len(pages) >= 2 and pages[0] == ("1", pages[0][1]) and all(total == pages[0][1] for _, total in pages)
    # The contacts table runs onto page 2 with its header repeated there.
    second_page = text.split("\f")[1]
    assert "联系电话" in second_page and "所在村（社区）" in second_page

    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK|Noto-?Serif-?CJK", line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column


def test_id_number_in_full_only_for_those_allowed(world, deputy, login, tmp_path):
    full = text_of(pdf_of(login(world.county_admin), deputy, tmp_path))
    assert deputy.id_number in full and deputy.phone in full
    assert "13800000007" in full  # voter contacts' phones too

    deputy.user = world.deputy_a
    deputy.save()
    own = text_of(pdf_of(login(world.deputy_a), deputy, tmp_path))
    assert deputy.id_number not in own
    assert deputy.id_number[:4] + "*" * 10 + deputy.id_number[-4:] in own
    assert "138****0007" in own and "已按规定部分隐藏" in own


def test_registered_panels_are_rendered_inside(world, deputy, login, tmp_path, settings):
    """A panel a later app registers (here a stand-in, its template in a temporary folder)."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "test_points_panel.html").write_text(
        '<table class="table"><tr><th>年度</th><td>本年度积分 {{ points }} 分</td></tr></table>'
        '<a class="btn btn-primary" href="/x/">不应出现的按钮</a>',
        encoding="utf-8",
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], folder]}]
    key = "test_points_panel"
    duty_file_panels.register(
        key=key, title="履职积分", template="test_points_panel.html", order=999, roles=[Role.COUNTY_ADMIN]
    )(lambda request, subject: {"points": 17})
    try:
        text = text_of(pdf_of(login(world.county_admin), deputy, tmp_path))
    finally:
        duty_file_panels._panels.pop(key)
    # Numbered after the built-in sections and every panel the apps register.
    assert re.search(r"[一二三四五六七八九十]+、履职积分", text) and "本年度积分 17 分" in text
    assert "不应出现的按钮" not in text  # web-only controls are hidden in print


def test_the_pdf_is_audited(world, deputy, login, tmp_path):
    pdf_of(login(world.clerk_a), deputy, tmp_path)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == world.clerk_a and entry.object_id == str(deputy.pk)
    assert "履职档案" in entry.changes["note"]["new"] and "含完整身份证号：是" in entry.changes["note"]["new"]
