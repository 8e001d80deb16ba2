"""Sessions 人民代表大会会议 and presidium meetings 主席团会议: numbering within the term, the
roll built from the deputies serving on the meeting's date, the quorum at exactly two thirds
(service and page), votes passing with more than half of ALL serving deputies, per-deputy
votes only from those present, election results, the yearly compliance flags and the county
table, the PDFs, the scoping of every pk URL and the duty-file panel."""

from __future__ import annotations

import datetime
import io
import re
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from congress import compliance_meetings as compliance
from congress import services_meetings as services
from congress.models import AgendaItem, Attendance, DeputyVote, ElectionCandidate, Meeting, MeetingDocument
from deputies.models import Mandate
from deputies.panels import duty_file_panels
from org.panels import dashboard_panels
from org.roles import Role
from tests.factories import (
    PNG_BYTES,
    AttendanceFactory,
    DeputyFactory,
    MandateFactory,
    MeetingFactory,
    RegionFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
S = Attendance.Status
DAY = D(2025, 3, 10)


@pytest.fixture
def term(world):
    # Set on the county for all its townships (2021–2026).
    return TermFactory(region=world.county, number=20, start_date=D(2021, 12, 1), end_date=D(2026, 12, 31))


TERM_START = D(2021, 12, 1)


def serve(town, term, n, *, prefix="代表", elected_on=TERM_START, **kw):
    """`n` deputies of `town` holding a serving township mandate of `term`."""
    out = []
    for i in range(n):
        deputy = DeputyFactory(region=town, name=f"{prefix}{i + 1:02d}")
        MandateFactory(deputy=deputy, region=town, term=term, elected_on=elected_on, **kw)
        out.append(deputy)
    return out


def session(world, *, date=DAY, town=None, user=None, **kw):
    return services.meeting_create(
        region=town or world.town_a, kind=Meeting.Kind.SESSION, date=date, place="镇政府三楼会议室",
        user=user or world.clerk_a, **kw,
    )  # fmt: skip


def roll_with(world, meeting, deputies, *, present: int):
    """Build the roll and mark everyone after the first `present` deputies on leave."""
    services.meeting_roll_build(meeting=meeting, user=world.clerk_a)
    statuses = {d.pk: (S.PRESENT if i < present else S.LEAVE) for i, d in enumerate(deputies)}
    services.attendance_set(meeting=meeting, statuses=statuses, notes={}, user=world.clerk_a)
    meeting.refresh_from_db()
    return meeting


def pdf_text(content: bytes, tmp_path, name="out.pdf") -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    # Letter-spaced headings and wrapped lines come out with spaces and breaks inside words.
    return re.sub(r"\s+", "", text), fonts


def assert_cjk_embedded(fonts: str):
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK|Noto-?Serif-?CJK", line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column


# --- registering a meeting --------------------------------------------------------------------


def test_numbering_within_term_and_kind(world, term):
    first = session(world)
    second = session(world, date=D(2025, 8, 20))
    presidium = services.meeting_create(
        region=world.town_a, kind=Meeting.Kind.PRESIDIUM, date=D(2025, 2, 1), user=world.clerk_a
    )
    assert (first.term, first.number, second.number, presidium.number) == (term, 1, 2, 1)
    assert first.title == "甲镇第二十届人民代表大会第一次会议"
    assert presidium.title == "甲镇人大主席团第二十届第一次会议"
    # The other township numbers its own.
    assert session(world, town=world.town_b, user=world.clerk_b).number == 1
    with pytest.raises(ValidationError) as exc:
        session(world, number=2)
    assert "已有第二次人民代表大会会议" in str(exc.value.message_dict["number"])


def test_date_outside_any_term_is_refused_in_chinese(world, term):
    with pytest.raises(ValidationError) as exc:
        session(world, date=D(2027, 3, 1))
    assert exc.value.message_dict["date"] == [
        "2027-03-01不在甲镇人民代表大会任何一届的任期内，请核对会议日期或先设置届次。"
    ]


def test_township_term_wins_and_a_new_term_restarts_numbers(world, term):
    own = TermFactory(region=world.town_a, number=21, start_date=D(2026, 6, 1), end_date=D(2031, 5, 31))
    session(world, date=D(2026, 3, 1))
    later = session(world, date=D(2026, 6, 1))
    assert later.term == own and later.number == 1
    assert session(world, town=world.town_b, user=world.clerk_b, date=D(2026, 6, 1)).term == term


def test_only_the_township_clerk_writes(world, term):
    with pytest.raises(PermissionDenied):
        session(world, user=world.clerk_b)
    with pytest.raises(PermissionDenied):
        session(world, user=world.county_admin)


# --- the roll ---------------------------------------------------------------------------------


def test_roll_is_built_from_the_deputies_serving_on_the_date(world, term):
    stays = serve(world.town_a, term, 4)
    resigned = serve(world.town_a, term, 1, prefix="辞职", status=Mandate.Status.RESIGNED, ended_on=D(2025, 3, 1))[0]
    by_elected = serve(world.town_a, term, 1, prefix="补选", elected_on=D(2025, 4, 1), by_election=True)[0]
    serve(world.town_b, term, 2, prefix="乙镇")
    meeting = session(world)
    services.meeting_roll_build(meeting=meeting, user=world.clerk_a)
    meeting.refresh_from_db()
    on_roll = set(meeting.roll.values_list("deputy_id", flat=True))
    assert on_roll == {d.pk for d in stays}
    assert resigned.pk not in on_roll and by_elected.pk not in on_roll
    assert meeting.serving_count == 4
    assert set(meeting.roll.values_list("status", flat=True)) == {S.PRESENT}


def test_rebuilding_keeps_statuses_and_drops_who_left_before_the_date(world, term):
    deputies = serve(world.town_a, term, 4)
    meeting = session(world)
    services.meeting_roll_build(meeting=meeting, user=world.clerk_a)
    services.attendance_set(
        meeting=meeting, statuses={deputies[0].pk: S.LEAVE}, notes={deputies[0].pk: "外出务工"}, user=world.clerk_a
    )
    # The roll was made early; a resignation effective before the meeting is recorded later.
    Mandate.objects.filter(deputy=deputies[3]).update(status=Mandate.Status.RESIGNED, ended_on=D(2025, 3, 9))
    services.meeting_roll_build(meeting=meeting, user=world.clerk_a)
    meeting.refresh_from_db()
    assert meeting.serving_count == 3
    assert dict(meeting.roll.values_list("deputy_id", "status")) == {
        deputies[0].pk: S.LEAVE,
        deputies[1].pk: S.PRESENT,
        deputies[2].pk: S.PRESENT,
    }
    assert meeting.roll.get(deputy=deputies[0]).note == "外出务工"


def test_presidium_roll_holds_the_presidium_members(world, term):
    members = serve(world.town_a, term, 3, prefix="主席团", presidium_role=Mandate.PresidiumRole.MEMBER)
    serve(world.town_a, term, 5)
    meeting = services.meeting_create(region=world.town_a, kind=Meeting.Kind.PRESIDIUM, date=DAY, user=world.clerk_a)
    roll_with(world, meeting, members, present=1)
    assert set(meeting.roll.values_list("deputy_id", flat=True)) == {d.pk for d in members}
    assert meeting.serving_count == 3
    # No quorum for a presidium meeting: 1 of 3 present is enough to mark it held.
    services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.HELD


def test_attendance_of_someone_not_on_the_roll_is_refused(world, term):
    serve(world.town_a, term, 2)
    other = serve(world.town_b, term, 1, prefix="乙镇")[0]
    meeting = session(world)
    services.meeting_roll_build(meeting=meeting, user=world.clerk_a)
    with pytest.raises(ValidationError, match="不在本次会议的出席名单上"):
        services.attendance_set(meeting=meeting, statuses={other.pk: S.PRESENT}, user=world.clerk_a)


# --- quorum: at least two thirds, inclusive ---------------------------------------------------


def test_quorum_refused_one_below_two_thirds_and_met_at_exactly_two_thirds(world, term):
    deputies = serve(world.town_a, term, 9)
    meeting = roll_with(world, session(world), deputies, present=5)
    with pytest.raises(ValidationError) as exc:
        services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    assert exc.value.messages == ["出席代表5人，未达到应到代表9人的三分之二（至少6人），不能标记为已召开"]
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.PLANNED

    services.attendance_set(meeting=meeting, statuses={deputies[5].pk: S.PRESENT}, user=world.clerk_a)
    services.meeting_mark_held(meeting=meeting, user=world.clerk_a)  # 6 of 9: exactly two thirds
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.HELD


def test_quorum_counts_the_deputies_serving_on_the_date_after_a_resignation(world, term):
    deputies = serve(world.town_a, term, 10)
    # Resigned the day before the meeting: 9 serving, 6 present is two thirds.
    Mandate.objects.filter(deputy=deputies[9]).update(
        status=Mandate.Status.RESIGNED, ended_on=DAY - datetime.timedelta(1)
    )
    meeting = roll_with(world, session(world), deputies[:9], present=6)
    assert meeting.serving_count == 9
    services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.HELD


def test_a_stale_roll_is_refused_until_rebuilt(world, term):
    deputies = serve(world.town_a, term, 3)
    meeting = roll_with(world, session(world), deputies, present=3)
    serve(world.town_a, term, 1, prefix="补录")  # recorded after the roll was made, serving since 2021
    with pytest.raises(ValidationError, match="应增加1人、移除0人"):
        services.meeting_mark_held(meeting=meeting, user=world.clerk_a)


def test_no_roll_and_future_dates_are_refused(world, term):
    serve(world.town_a, term, 3)
    meeting = session(world)
    with pytest.raises(ValidationError, match="还没有出席名单"):
        services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    future = session(world, date=D(2026, 12, 30))
    services.meeting_roll_build(meeting=future, user=world.clerk_a)
    if future.date > datetime.date.today():
        with pytest.raises(ValidationError, match="晚于今天"):
            services.meeting_mark_held(meeting=future, user=world.clerk_a)


def test_a_held_sessions_roll_cannot_drop_below_quorum(world, term):
    deputies = serve(world.town_a, term, 3)
    meeting = roll_with(world, session(world), deputies, present=2)
    services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    with pytest.raises(ValidationError, match="按此修改出席代表只有1人"):
        services.attendance_set(meeting=meeting, statuses={deputies[0].pk: S.ABSENT}, user=world.clerk_a)
    with pytest.raises(ValidationError, match="不能再重新生成"):
        services.meeting_roll_build(meeting=meeting, user=world.clerk_a)
    assert meeting.roll.filter(status=S.PRESENT).count() == 2


def test_marking_held_through_the_page(world, term, login):
    deputies = serve(world.town_a, term, 9)
    meeting = roll_with(world, session(world), deputies, present=5)
    client = login(world.clerk_a)
    url = reverse("congress:meeting-held", args=[meeting.pk])
    response = client.post(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "出席代表5人，未达到应到代表9人的三分之二（至少6人），不能标记为已召开" in page
    assert "应到9人 实到5人 请假4人 缺席0人" in page and "未达到法定人数（至少6人）" in page
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.PLANNED

    services.attendance_set(meeting=meeting, statuses={deputies[5].pk: S.PRESENT}, user=world.clerk_a)
    response = client.post(url)
    assert response.status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.HELD
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "应到9人 实到6人 请假3人 缺席0人" in page and "— 达到法定人数（至少6人）" in page
    # The county looks but does not mark.
    assert login(world.county_admin).post(url).status_code == 403


def test_roll_page_builds_and_sets_statuses_in_one_form(world, term, login):
    deputies = serve(world.town_a, term, 4)
    meeting = session(world)
    client = login(world.clerk_a)
    url = reverse("congress:meeting-roll", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert "全部出席" in page and all(d.name in page for d in deputies)
    assert page.count('value="present" autocomplete="off" checked') == 4
    data = {f"status_{d.pk}": S.PRESENT for d in deputies}
    data[f"status_{deputies[1].pk}"] = S.LEAVE
    data[f"note_{deputies[1].pk}"] = "住院"
    data[f"status_{deputies[2].pk}"] = S.ABSENT
    response = client.post(url, data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.serving_count == 4
    assert dict(meeting.roll.values_list("deputy_id", "status")) == {
        deputies[0].pk: S.PRESENT, deputies[1].pk: S.LEAVE, deputies[2].pk: S.ABSENT, deputies[3].pk: S.PRESENT,
    }  # fmt: skip
    assert meeting.roll.get(deputy=deputies[1]).note == "住院"
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "应到4人 实到2人 请假1人 缺席1人" in page and "达到法定人数（至少3人）" in page
    # A bad status is refused with the deputy named, nothing stored.
    data[f"status_{deputies[0].pk}"] = "late"
    response = client.post(url, data)
    assert response.status_code == 400 and f"{deputies[0].name}：无效的出席情况" in response.content.decode()
    assert meeting.roll.get(deputy=deputies[0]).status == S.PRESENT


# --- votes: more than half of ALL serving deputies --------------------------------------------


@pytest.fixture
def voted(world, term):
    """A session of 10 serving deputies, 7 present, with an item to vote on."""
    deputies = serve(world.town_a, term, 10)
    meeting = roll_with(world, session(world), deputies, present=7)
    item = services.agenda_item_add(
        meeting=meeting, title="关于2025年财政预算的决议", kind=AgendaItem.Kind.BUDGET, needs_vote=True,
        user=world.clerk_a,
    )  # fmt: skip
    return {"meeting": meeting, "item": item, "deputies": deputies}


def test_vote_counts_may_not_exceed_those_present(world, voted):
    with pytest.raises(ValidationError) as exc:
        services.agenda_vote_record(item=voted["item"], yes=6, no=1, abstain=1, user=world.clerk_a)
    assert exc.value.messages == ["赞成6、反对1、弃权1，合计8票，超过了出席代表人数（7人）。"]
    with pytest.raises(ValidationError) as exc:
        services.agenda_vote_record(item=voted["item"], yes=-1, no=0, abstain=0, user=world.clerk_a)
    assert "yes" in exc.value.message_dict


def test_exactly_half_of_all_serving_fails_though_most_present_said_yes(world, voted):
    item = services.agenda_vote_record(item=voted["item"], yes=5, no=1, abstain=1, user=world.clerk_a)
    assert item.result == AgendaItem.Result.FAILED  # 5 of 7 present, but 5 of 10 serving is not more than half
    item = services.agenda_vote_record(item=voted["item"], yes=6, no=1, abstain=0, user=world.clerk_a)
    assert item.result == AgendaItem.Result.PASSED


def test_an_item_without_a_vote_refuses_counts(world, voted):
    item = services.agenda_item_add(
        meeting=voted["meeting"], title="宪法宣誓", kind=AgendaItem.Kind.OATH, user=world.clerk_a
    )
    with pytest.raises(ValidationError, match="不需要表决"):
        services.agenda_vote_record(item=item, yes=7, no=0, abstain=0, user=world.clerk_a)


def test_per_deputy_votes_only_from_those_present(world, voted):
    deputies, item = voted["deputies"], voted["item"]
    on_leave = deputies[8]
    with pytest.raises(ValidationError) as exc:
        services.agenda_vote_record_per_deputy(
            item=item, choices={deputies[0].pk: "yes", on_leave.pk: "yes"}, user=world.clerk_a
        )
    assert exc.value.messages == [f"{on_leave.name}没有出席本次会议，不能参加表决。"]
    assert not DeputyVote.objects.filter(item=item).exists()
    choices = {d.pk: "yes" for d in deputies[:6]}
    choices[deputies[6].pk] = "abstain"
    item = services.agenda_vote_record_per_deputy(item=item, choices=choices, user=world.clerk_a)
    assert (item.yes, item.no, item.abstain, item.result) == (6, 0, 1, AgendaItem.Result.PASSED)
    # One fewer yes: 5 of 10 serving, exactly half, fails.
    choices[deputies[5].pk] = "no"
    item = services.agenda_vote_record_per_deputy(item=item, choices=choices, user=world.clerk_a)
    assert (item.yes, item.no, item.result) == (5, 1, AgendaItem.Result.FAILED)
    # A deputy whose attendance changes to leave loses the vote, and the count follows.
    services.attendance_set(meeting=voted["meeting"], statuses={deputies[0].pk: S.LEAVE}, user=world.clerk_a)
    item.refresh_from_db()
    assert (item.yes, item.no, item.abstain) == (4, 1, 1)


def test_vote_page_counts_and_grid(world, voted, login):
    client = login(world.clerk_a)
    url = reverse("congress:agenda-vote", args=[voted["item"].pk])
    page = client.get(url).content.decode()
    assert "至少 <strong>6</strong> 票方为通过" in page
    response = client.post(url, {"mode": "counts", "yes": 6, "no": 2, "abstain": 0})
    assert response.status_code == 400 and "合计8票，超过了出席代表人数（7人）" in response.content.decode()
    assert client.post(url, {"mode": "counts", "yes": 6, "no": 1, "abstain": 0}).status_code == 302
    assert AgendaItem.objects.get(pk=voted["item"].pk).result == AgendaItem.Result.PASSED
    grid = client.get(url + "?mode=deputies").content.decode()
    assert voted["deputies"][0].name in grid and voted["deputies"][9].name not in grid  # on leave: no row
    data = {"mode": "deputies", **{f"vote_{d.pk}": "no" for d in voted["deputies"][:7]}}
    assert client.post(url, data).status_code == 302
    item = AgendaItem.objects.get(pk=voted["item"].pk)
    assert (item.yes, item.no, item.result) == (0, 7, AgendaItem.Result.FAILED)
    page = client.get(voted["meeting"].get_absolute_url()).content.decode()
    assert "未通过" in page


# --- elections --------------------------------------------------------------------------------


def test_election_results(world, voted, login):
    item = services.agenda_item_add(
        meeting=voted["meeting"], title="选举乡人大主席、副主席", kind=AgendaItem.Kind.ELECTION, user=world.clerk_a
    )
    assert item.needs_vote  # an election is always voted on
    chair = voted["deputies"][0]
    rows = [
        {"name": "", "position": "人大主席", "votes": 6, "deputy_id": chair.pk},
        {"name": "王副", "position": "人大副主席", "votes": 5, "deputy_id": None},
    ]
    out = services.election_candidates_set(item=item, candidates=rows, user=world.clerk_a)
    assert [(c.name, c.elected) for c in out] == [(chair.name, True), ("王副", False)]  # 5 of 10: not more than half
    with pytest.raises(ValidationError) as exc:
        services.election_candidates_set(
            item=item, candidates=[{"name": "李某", "position": "", "votes": 8}], user=world.clerk_a
        )
    assert exc.value.messages == [
        "第1行（李某）：请填写拟任职务。",
        "第1行（李某）：得票数8超过了出席代表人数（7人）。",
    ]
    assert ElectionCandidate.objects.filter(item=item).count() == 2  # unchanged
    other = serve(world.town_b, voted["meeting"].term, 1, prefix="乙镇")[0]
    with pytest.raises(ValidationError, match="不是甲镇的代表"):
        services.election_candidates_set(
            item=item, candidates=[{"name": "", "position": "人大主席", "votes": 1, "deputy_id": other.pk}],
            user=world.clerk_a,
        )  # fmt: skip

    client = login(world.clerk_a)
    url = reverse("congress:agenda-candidates", args=[item.pk])
    page = client.get(url).content.decode()
    assert "王副" in page and "至少 <strong>6</strong> 票" in page
    data = {"c-TOTAL_FORMS": 3, "c-INITIAL_FORMS": 0, "c-MIN_NUM_FORMS": 0, "c-MAX_NUM_FORMS": 1000}
    data.update({"c-0-name": "赵主席", "c-0-position": "人大主席", "c-0-votes": 7, "c-1-name": "", "c-2-name": ""})
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(item.candidates.values_list("name", "votes", "elected")) == [("赵主席", 7, True)]
    page = client.get(voted["meeting"].get_absolute_url()).content.decode()
    assert "赵主席" in page and "当选" in page


# --- agenda and documents through the pages ---------------------------------------------------


def test_create_meeting_agenda_and_document_pages(world, term, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(world.clerk_a)
    response = client.post(
        reverse("congress:meeting-create"),
        {"region": world.town_a.pk, "kind": "session", "date": "2025-03-10", "place": "镇会议中心", "number": ""},
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(region=world.town_a)
    assert meeting.number == 1 and meeting.created_by == world.clerk_a
    response = client.post(
        reverse("congress:meeting-create"), {"region": world.town_a.pk, "kind": "session", "date": "2030-03-10"}
    )
    assert response.status_code == 200 and "不在甲镇人民代表大会任何一届的任期内" in response.content.decode()
    # A clerk cannot register a meeting in another township by posting its id.
    response = client.post(
        reverse("congress:meeting-create"), {"region": world.town_b.pk, "kind": "session", "date": "2025-03-10"}
    )
    assert response.status_code == 200 and not Meeting.objects.filter(region=world.town_b).exists()

    response = client.post(
        reverse("congress:agenda-item-create", args=[meeting.pk]),
        {"order": 1, "kind": "government_report", "title": "听取和审议镇人民政府工作报告", "needs_vote": "on"},
    )
    assert response.status_code == 302
    item = meeting.agenda.get()
    response = client.post(
        reverse("congress:agenda-item-update", args=[item.pk]), {"order": 1, "kind": "other", "title": ""}
    )
    assert response.status_code == 200 and "请填写议程名称" in response.content.decode()

    upload = SimpleUploadedFile("决议.png", PNG_BYTES, content_type="image/png")
    response = client.post(
        reverse("congress:meeting-document-upload", args=[meeting.pk]), {"title": "", "file": upload}
    )
    assert response.status_code == 302
    doc = MeetingDocument.objects.get(meeting=meeting)
    assert doc.title == "决议" and doc.content_type == "image/png"
    fake = SimpleUploadedFile("病毒.png", b"MZ\x90\x00not a picture", content_type="image/png")
    response = client.post(reverse("congress:meeting-document-upload", args=[meeting.pk]), {"file": fake})
    assert response.status_code == 400 and "类型不受支持" in response.content.decode()
    response = login(world.county_admin).get(doc.get_absolute_url())
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG_BYTES
    assert login(world.clerk_b).get(doc.get_absolute_url()).status_code == 404

    response = login(world.clerk_a).post(reverse("congress:agenda-item-delete", args=[item.pk]))
    assert response.status_code == 302 and not meeting.agenda.exists()


def test_list_filters_and_county_sees_both_townships(world, term, login):
    a = session(world)
    b = session(world, town=world.town_b, user=world.clerk_b, date=D(2024, 3, 1))
    presidium = services.meeting_create(region=world.town_a, kind=Meeting.Kind.PRESIDIUM, date=DAY, user=world.clerk_a)
    url = reverse("congress:meeting-list")
    page = login(world.county_admin).get(url).content.decode()
    assert a.title in page and b.title in page and presidium.title in page
    page = login(world.county_admin).get(url, {"year": 2025, "kind": "session"}).content.decode()
    assert a.title in page and b.title not in page and presidium.title not in page
    page = login(world.clerk_a).get(url).content.decode()
    assert a.title in page and b.title not in page


# --- compliance -------------------------------------------------------------------------------


def held(town, term, kind, date, **kw):
    return MeetingFactory(region=town, term=term, kind=kind, date=date, state=Meeting.State.HELD, **kw)


def test_compliance_flags(world, term):
    on = D(2025, 11, 1)  # Q1–Q3 have ended
    P = Meeting.Kind.PRESIDIUM
    # Town A: one session only; presidium meetings in Q1 and Q3 (Q2 missing).
    held(world.town_a, term, Meeting.Kind.SESSION, D(2025, 2, 20))
    held(world.town_a, term, P, D(2025, 1, 5))
    held(world.town_a, term, P, D(2025, 9, 30))
    # Town B: two sessions, the first after 15 July; presidium every past quarter.
    held(world.town_b, term, Meeting.Kind.SESSION, D(2025, 7, 16))
    held(world.town_b, term, Meeting.Kind.SESSION, D(2025, 10, 20))
    for month in (3, 4, 7):
        held(world.town_b, term, P, D(2025, month, 1))
    # Planned meetings do not count.
    MeetingFactory(region=world.town_a, term=term, kind=Meeting.Kind.SESSION, date=D(2025, 6, 1))

    rows = {r["township"].name: r for r in compliance.yearly_table(world.county_admin, world.county, year=2025, on=on)}
    a, b = rows["甲镇"], rows["乙镇"]
    assert a["sessions_held"] == 1 and a["presidium_missing"] == [2]
    assert a["flags"] == ["2025年依法召开人民代表大会会议1次，少于2次", "第2季度未召开主席团会议"]
    assert b["sessions_held"] == 2 and b["first_session"] == D(2025, 7, 16)
    assert b["flags"] == ["7月15日前未召开人民代表大会会议"]
    # Before 15 July has passed, no session yet is not yet late; Q4 is never due before it ends.
    early = compliance.township_status(world.clerk_b, world.town_b, year=2025, on=D(2025, 7, 15))
    assert not early["first_session_late"] and early["presidium_missing"] == []


def test_a_held_session_without_quorum_is_flagged_and_not_counted(world, term):
    on = D(2026, 1, 10)
    legacy = held(world.town_a, term, Meeting.Kind.SESSION, D(2025, 3, 1), serving_count=9)
    lawful = held(world.town_a, term, Meeting.Kind.SESSION, D(2025, 9, 1), serving_count=3)
    for _ in range(5):
        AttendanceFactory(meeting=legacy, deputy=DeputyFactory(region=world.town_a), status=S.PRESENT)
    for _ in range(3):
        AttendanceFactory(meeting=legacy, deputy=DeputyFactory(region=world.town_a), status=S.ABSENT)
    for _ in range(2):
        AttendanceFactory(meeting=lawful, deputy=DeputyFactory(region=world.town_a), status=S.PRESENT)
    row = compliance.township_status(world.clerk_a, world.town_a, year=2025, on=on)
    assert row["sessions_held"] == 2 and row["sessions_lawful"] == 1
    assert [s["pk"] for s in row["no_quorum"]] == [legacy.pk]
    assert "2025-03-01的会议出席5人，未达到应到9人的三分之二（至少6人）" in row["flags"]
    assert "2025年依法召开人民代表大会会议1次，少于2次" in row["flags"]
    assert "7月15日前未召开人民代表大会会议" in row["flags"]  # the only one before it lacked quorum


def test_county_table_has_every_township_in_a_constant_number_of_queries(world, term, login):
    on = D(2025, 11, 1)
    held(world.town_a, term, Meeting.Kind.SESSION, D(2025, 3, 1))
    user = world.county_admin
    compliance.yearly_table(user, world.county, year=2025, on=on)  # memberships cached on the user
    with CaptureQueriesContext(connection) as few:
        rows = compliance.yearly_table(user, world.county, year=2025, on=on)
    assert [r["township"].name for r in rows] == ["甲镇", "乙镇"]
    assert len(few.captured_queries) == 3
    for n in range(4):
        town = RegionFactory.township(world.county, name=f"新增镇{n}")
        for month in (1, 4, 8):
            held(town, term, Meeting.Kind.SESSION, D(2025, month, 2), serving_count=3)
            held(town, term, Meeting.Kind.PRESIDIUM, D(2025, month, 3))
    with CaptureQueriesContext(connection) as many:
        rows = compliance.yearly_table(user, world.county, year=2025, on=on)
    assert len(rows) == 6 and len(many.captured_queries) == len(few.captured_queries)

    client = login(world.county_admin)
    url = reverse("congress:meeting-compliance")
    page = client.get(url, {"year": 2025}).content.decode()
    assert "甲镇" in page and "乙镇" in page and "新增镇0" in page and "2025年会议情况统计" in page
    response = client.get(url, {"year": 2025, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "乡镇" and {r[0] for r in values[1:]} == {
        "甲镇",
        "乙镇",
        "新增镇0",
        "新增镇1",
        "新增镇2",
        "新增镇3",
    }
    # A township clerk's table holds its own township only.
    page = login(world.clerk_b).get(url, {"year": 2025}).content.decode()
    assert "乙镇" in page and "甲镇" not in page


def test_dashboard_panel(world, term, rf):
    held(world.town_a, term, Meeting.Kind.SESSION, D(2025, 3, 1))
    request = rf.get("/")
    request.user = world.clerk_a
    panel = next(
        p for p in dashboard_panels.render(request, world.town_a, roles=[Role.TOWNSHIP_CLERK]) if p["key"] == "meetings"
    )
    year = datetime.date.today().year
    assert f"{year}年人民代表大会会议" in panel["html"] and "/ 2" in panel["html"]
    request.user = world.county_admin
    panel = next(
        p for p in dashboard_panels.render(request, world.county, roles=[Role.COUNTY_ADMIN]) if p["key"] == "meetings"
    )
    assert "甲镇" in panel["html"] and "乙镇" in panel["html"] and "人代会少于2次的乡镇" in panel["html"]


# --- PDFs -------------------------------------------------------------------------------------


def test_signin_sheet_pdf(world, term, login, tmp_path):
    deputies = serve(world.town_a, term, 3, prefix="签到")
    meeting = session(world)
    response = login(world.clerk_a).get(reverse("congress:meeting-signin-pdf", args=[meeting.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, fonts = pdf_text(response.content, tmp_path)
    assert "签到表" in text and meeting.title in text and "本人签名" in text
    assert all(d.name in text for d in deputies)
    assert "第1页共1页" in text
    assert_cjk_embedded(fonts)


def test_ballot_pdfs(world, voted, login, tmp_path):
    client = login(world.county_admin)
    response = client.get(reverse("congress:agenda-ballot-pdf", args=[voted["item"].pk]) + "?copies=4&per_page=2")
    assert response.status_code == 200
    text, fonts = pdf_text(response.content, tmp_path)
    assert text.count("表决票") == 4 and "关于2025年财政预算的决议" in text
    assert "赞成" in text and "反对" in text and "弃权" in text
    assert_cjk_embedded(fonts)
    pages = subprocess.run(["pdfinfo", str(tmp_path / "out.pdf")], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+2\b", pages), pages

    election = services.agenda_item_add(
        meeting=voted["meeting"], title="补选镇人大副主席", kind=AgendaItem.Kind.ELECTION, user=world.clerk_a
    )
    services.election_candidates_set(
        item=election, candidates=[{"name": "钱候选", "position": "人大副主席", "votes": 0}], user=world.clerk_a
    )
    response = client.get(reverse("congress:agenda-ballot-pdf", args=[election.pk]) + "?copies=1&per_page=1")
    text, _ = pdf_text(response.content, tmp_path, "election.pdf")
    assert "选票" in text and "钱候选" in text and "人大副主席" in text and "另选他人" in text


def test_minutes_pdf(world, voted, login, tmp_path):
    meeting = voted["meeting"]
    services.agenda_vote_record(item=voted["item"], yes=6, no=1, abstain=0, user=world.clerk_a)
    services.meeting_update(meeting=meeting, minutes="会议听取并审议了财政预算报告。", user=world.clerk_a)
    response = login(world.clerk_a).get(reverse("congress:meeting-minutes-pdf", args=[meeting.pk]))
    text, fonts = pdf_text(response.content, tmp_path)
    assert "会议纪要" in text and "应到代表10人，实到7人，请假3人，缺席0人" in text
    assert "符合法定人数" in text and "关于2025年财政预算的决议" in text and "通过" in text
    assert "会议听取并审议了财政预算报告" in text and voted["deputies"][9].name in text  # on leave, named
    assert_cjk_embedded(fonts)


# --- scoping ----------------------------------------------------------------------------------


def test_clerk_b_gets_404_on_every_pk_url(world, term, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    deputies = serve(world.town_a, term, 3)
    meeting = roll_with(world, session(world), deputies, present=3)
    item = services.agenda_item_add(meeting=meeting, title="表决事项", needs_vote=True, user=world.clerk_a)
    doc = services.meeting_document_add(
        meeting=meeting, upload=SimpleUploadedFile("a.png", PNG_BYTES), title="照片", user=world.clerk_a
    )
    by_meeting = (
        "congress:meeting-detail", "congress:meeting-update", "congress:meeting-roll", "congress:meeting-held",
        "congress:agenda-item-create", "congress:meeting-document-upload", "congress:meeting-signin-pdf",
        "congress:meeting-minutes-pdf",
    )  # fmt: skip
    by_item = (
        "congress:agenda-item-update", "congress:agenda-item-delete", "congress:agenda-vote",
        "congress:agenda-candidates", "congress:agenda-ballot-pdf",
    )  # fmt: skip
    urls = {name: reverse(name, args=[meeting.pk]) for name in by_meeting}
    urls.update({name: reverse(name, args=[item.pk]) for name in by_item})
    urls["congress:meeting-document"] = reverse("congress:meeting-document", args=[doc.pk])
    read_only = {"congress:meeting-detail", "congress:meeting-signin-pdf", "congress:meeting-minutes-pdf",
                 "congress:agenda-ballot-pdf", "congress:meeting-document"}  # fmt: skip
    client = login(world.clerk_b)
    for name, url in urls.items():
        assert client.get(url).status_code == 404, name
        if name not in read_only:
            assert client.post(url, {}).status_code == 404, name
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.PLANNED
    assert AgendaItem.objects.filter(pk=item.pk).exists()
    client = login(world.clerk_a)
    for name, url in urls.items():
        assert client.get(url).status_code in (200, 302), name


# --- the duty file ----------------------------------------------------------------------------


def test_duty_file_panel_lists_held_meetings_attendance(world, term, rf):
    deputies = serve(world.town_a, term, 3)
    meeting = roll_with(world, session(world), deputies, present=2)
    services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    planned = session(world, date=D(2025, 9, 1))
    services.meeting_roll_build(meeting=planned, user=world.clerk_a)
    request = rf.get("/")
    request.user = world.clerk_a
    html = next(p for p in duty_file_panels.render(request, deputies[2]) if p["key"] == "attendance")["html"]
    assert meeting.title in html and "请假" in html and planned.title not in html
    assert "应出席已召开的会议 1 次：出席 0 次，请假 1 次，缺席 0 次" in html
    html = next(p for p in duty_file_panels.render(request, deputies[0]) if p["key"] == "attendance")["html"]
    assert "出席 1 次" in html
    # The deputy reads its own; another township's clerk reads nothing of it.
    deputies[2].user = world.deputy_a
    deputies[2].save()
    request.user = world.deputy_a
    html = next(p for p in duty_file_panels.render(request, deputies[2]) if p["key"] == "attendance")["html"]
    assert meeting.title in html
    request.user = world.clerk_b
    html = next(p for p in duty_file_panels.render(request, deputies[2]) if p["key"] == "attendance")["html"]
    assert meeting.title not in html and "暂无出席会议记录" in html


# --- editing and the list ---------------------------------------------------------------------


def test_changing_the_date_rebuilds_the_roll_and_a_held_date_stays(world, term, login):
    deputies = serve(world.town_a, term, 3)
    late = serve(world.town_a, term, 1, prefix="补选", elected_on=D(2025, 5, 1), by_election=True)[0]
    meeting = roll_with(world, session(world), deputies, present=3)
    assert meeting.serving_count == 3
    client = login(world.clerk_a)
    url = reverse("congress:meeting-update", args=[meeting.pk])
    data = {"number": 1, "date": "2025-06-01", "place": "镇会议中心", "note": "", "minutes": ""}
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.serving_count == 4 and meeting.roll.filter(deputy=late).exists()
    services.meeting_mark_held(meeting=meeting, user=world.clerk_a)
    with pytest.raises(ValidationError) as exc:
        services.meeting_update(meeting=meeting, date=D(2025, 6, 2), user=world.clerk_a)
    assert "不能再修改开始日期" in exc.value.message_dict["date"][0]
    services.meeting_update(meeting=meeting, minutes="补记纪要", user=world.clerk_a)
    assert Meeting.objects.get(pk=meeting.pk).minutes == "补记纪要"


def test_a_refused_roll_form_builds_nothing(world, term, login):
    deputies = serve(world.town_a, term, 2)
    meeting = session(world)
    data = {f"status_{deputies[0].pk}": "present", f"status_{deputies[1].pk}": "maybe"}
    response = login(world.clerk_a).post(reverse("congress:meeting-roll", args=[meeting.pk]), data)
    assert response.status_code == 400
    assert not meeting.roll.exists() and Meeting.objects.get(pk=meeting.pk).serving_count == 0


def test_meeting_list_queries_do_not_grow_with_rows(world, term, login, django_assert_max_num_queries):
    deputies = serve(world.town_a, term, 3)
    roll_with(world, session(world), deputies, present=2)
    client = login(world.county_admin)
    url = reverse("congress:meeting-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for month in range(4, 10):
        roll_with(world, session(world, date=D(2025, month, 1)), deputies, present=3)
        session(world, town=world.town_b, user=world.clerk_b, date=D(2025, month, 2))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("人民代表大会第") == 13


def test_home_page_shows_the_panel_and_the_sidebar_entries(world, term, login):
    held(world.town_a, term, Meeting.Kind.SESSION, datetime.date.today().replace(month=1, day=2))
    page = login(world.clerk_a).get("/").content.decode()
    assert "会议情况" in page and "1 / 2" in page
    assert reverse("congress:meeting-list") in page and reverse("congress:meeting-compliance") in page
