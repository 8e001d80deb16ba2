"""Deputy activities (代表活动): clerks record confirmed activities, deputies record their own
for the clerk to confirm or send back; files, scoping, list cost, counts and panels."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from deputies.pdf import render_duty_file_html
from deputies.selectors import duty_file
from org.roles import Role
from stations import selectors_activities as selectors
from stations import services_activities as services
from stations.models import Activity, ActivityFile
from tests.factories import (
    PNG_BYTES,
    ActivityFactory,
    ActivityFileFactory,
    DeputyFactory,
    DeputyGroupFactory,
    MandateFactory,
    StationFactory,
    TermFactory,
    member,
)

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00 this is a program"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@dataclass
class People:
    me: object  # deputy_a's own Deputy row (township A)
    a2: object
    a3: object
    b1: object  # deputy_b's own Deputy row (township B)
    deputy_b: object  # the user
    station_a: object
    station_b: object


def serving(township, term, **kw):
    deputy = DeputyFactory(region=township, **kw)
    MandateFactory(deputy=deputy, region=township, term=term)
    return deputy


@pytest.fixture
def people(world):
    term_a, term_b = TermFactory(region=world.town_a), TermFactory(region=world.town_b)
    deputy_b = member(world.town_b, Role.DEPUTY, username="deputy_b")
    return People(
        me=serving(world.town_a, term_a, name="甲代表本人", user=world.deputy_a),
        a2=serving(world.town_a, term_a, name="甲代表二"),
        a3=serving(world.town_a, term_a, name="甲代表三"),
        b1=serving(world.town_b, term_b, name="乙代表一", user=deputy_b),
        deputy_b=deputy_b,
        station_a=StationFactory(region=world.town_a, name="甲镇人大代表之家"),
        station_b=StationFactory(region=world.town_b, name="乙镇人大代表之家"),
    )


def today():
    return timezone.localdate()


def form_data(**over):
    data = {
        "kind": "inspection",
        "date": today().isoformat(),
        "end_date": "",
        "topic": "视察农村饮水安全工程",
        "station": "",
        "place": "甲村水厂",
        "organiser": "镇人大主席团",
        "attendance": "",
        "voter_count": "",
        "satisfaction": "",
        "summary": "查看水厂运行，听取情况汇报。",
    }
    data.update(over)
    return data


def pending_of(world, people, **kw):
    return services.activity_create(
        user=world.deputy_a, kind="visit_voters", date=today(), topic=kw.pop("topic", "走访甲村选民"), **kw
    )


# --- recording ------------------------------------------------------------------------------


def test_clerk_records_a_confirmed_activity(world, people, client):
    client.force_login(world.clerk_a)
    assert client.get(reverse("stations:activity-create")).status_code == 200
    data = form_data(kind="training", station=people.station_a.pk, participants=[people.me.pk, people.a2.pk])
    response = client.post(reverse("stations:activity-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    activity = Activity.objects.get()
    assert response["Location"] == activity.get_absolute_url()
    assert activity.status == Activity.Status.CONFIRMED
    assert activity.region == world.town_a and activity.station == people.station_a
    assert activity.recorded_by == world.clerk_a and activity.confirmed_by == world.clerk_a
    assert activity.confirmed_at is not None
    assert set(activity.participants.all()) == {people.me, people.a2}
    # 学习培训 left without 人次 counts each participant once.
    assert activity.attendance == 2


def test_clerk_cannot_pick_another_townships_deputy_or_room(world, people, client):
    client.force_login(world.clerk_a)
    form = client.get(reverse("stations:activity-create")).context["form"]
    offered = set(form.fields["participants"].queryset)
    assert offered == {people.me, people.a2, people.a3}
    assert people.station_b not in set(form.fields["station"].queryset)
    response = client.post(reverse("stations:activity-create"), form_data(participants=[people.b1.pk]))
    assert response.status_code == 200 and "participants" in response.context["form"].errors
    response = client.post(
        reverse("stations:activity-create"), form_data(participants=[people.me.pk], station=people.station_b.pk)
    )
    assert response.status_code == 200 and "station" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_deputy_records_its_own_pending_and_the_clerk_confirms(world, people, client):
    client.force_login(world.deputy_a)
    response = client.get(reverse("stations:my-activity-create"))
    assert response.status_code == 200 and "participants" not in response.context["form"].fields
    response = client.post(reverse("stations:my-activity-create"), form_data(kind="visit_voters", voter_count="12"))
    assert response.status_code == 302, response.context["form"].errors
    activity = Activity.objects.get()
    assert activity.status == Activity.Status.PENDING
    assert activity.region == world.town_a and activity.recorded_by == world.deputy_a
    assert list(activity.participants.all()) == [people.me]
    assert activity.confirmed_by is None
    page = client.get(reverse("stations:my-activity-list")).content.decode()
    assert activity.topic in page and "待确认" in page

    client.force_login(world.clerk_a)
    page = client.get(reverse("stations:activity-list")).content.decode()
    assert "有 <strong>1</strong> 条代表自行登记的活动等待确认" in page
    detail = client.get(activity.get_absolute_url()).content.decode()
    assert reverse("stations:activity-confirm", args=[activity.pk]) in detail
    response = client.post(reverse("stations:activity-confirm", args=[activity.pk]))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CONFIRMED and activity.confirmed_by == world.clerk_a
    # Confirming twice is refused with a Chinese message, not a crash.
    with pytest.raises(ValidationError, match="只有待确认的活动可以确认"):
        services.activity_confirm(activity=activity, user=world.clerk_a)


def test_clerk_sends_back_and_the_deputy_resubmits(world, people, client):
    activity = pending_of(world, people)
    client.force_login(world.clerk_a)
    url = reverse("stations:activity-reject", args=[activity.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "退回失败" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PENDING
    assert client.post(url, {"reason": "请补充走访的村民小组和照片"}).status_code == 302
    activity.refresh_from_db()
    assert activity.status == Activity.Status.REJECTED and activity.reject_reason == "请补充走访的村民小组和照片"

    client.force_login(world.deputy_a)
    assert "请补充走访的村民小组和照片" in client.get(reverse("stations:my-activity-list")).content.decode()
    edit = reverse("stations:activity-update", args=[activity.pk])
    response = client.post(edit, form_data(kind="visit_voters", topic="走访甲村三组选民"))
    assert response.status_code == 302, response.context["form"].errors
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PENDING and activity.reject_reason == ""
    assert activity.topic == "走访甲村三组选民" and list(activity.participants.all()) == [people.me]


def test_deputy_cannot_confirm_or_change_a_confirmed_activity(world, people, client):
    activity = pending_of(world, people)
    client.force_login(world.deputy_a)
    assert client.post(reverse("stations:activity-confirm", args=[activity.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.activity_confirm(activity=activity, user=world.deputy_a)
    with pytest.raises(PermissionDenied):
        services.activity_reject(activity=activity, reason="x", user=world.county_admin)
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PENDING

    services.activity_confirm(activity=activity, user=world.clerk_a)
    edit = reverse("stations:activity-update", args=[activity.pk])
    assert client.get(activity.get_absolute_url()).status_code == 200
    assert client.get(edit).status_code == 403
    assert client.post(edit, form_data(topic="改过的主题")).status_code == 403
    with pytest.raises(PermissionDenied, match="已经确认"):
        services.activity_update(activity=activity, user=world.deputy_a, topic="改过的主题")
    activity.refresh_from_db()
    assert activity.topic == "走访甲村选民"
    # Another township's clerk does not even learn that it exists.
    client.force_login(world.clerk_b)
    assert client.post(reverse("stations:activity-confirm", args=[activity.pk])).status_code == 404
    assert client.get(activity.get_absolute_url()).status_code == 404


def test_deputy_of_township_b_cannot_add_township_a_deputies(world, people):
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            user=people.deputy_b, kind="research", date=today(), topic="调研", participants=[people.me, people.a2]
        )
    assert "甲代表本人、甲代表二" in exc.value.message_dict["participants"][0]
    with pytest.raises(PermissionDenied, match="本乡镇"):
        services.activity_create(region=world.town_a, user=people.deputy_b, kind="research", date=today(), topic="x")
    row = services.activity_create(user=people.deputy_b, kind="research", date=today(), topic="调研乙镇产业")
    assert row.region == world.town_b and list(row.participants.all()) == [people.b1]
    assert not Activity.objects.filter(region=world.town_a).exists()


def test_a_user_without_deputy_record_is_told_so(world, client):
    client.force_login(world.deputy_a)  # holds the role, but no Deputy row links to it
    page = client.get(reverse("stations:my-activity-create")).content.decode()
    assert "尚未关联代表信息" in page
    assert client.post(reverse("stations:my-activity-create"), form_data()).status_code == 403
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"date": "future"}, "date", "活动日期不能晚于今天"),
        ({"end_date": "before"}, "end_date", "结束日期不能早于活动日期"),
        ({"satisfaction": 90}, "satisfaction", "只有述职活动才填写满意度"),
        ({"kind": "report_to_voters", "satisfaction": 120}, "satisfaction", "满意度应在 0 到 100 之间"),
        ({"attendance": 1}, "attendance", "参加人次（1）不能少于参加代表人数（2）"),
        ({"station": "b"}, "station", "活动阵地“乙镇人大代表之家”不属于甲镇"),
        ({"topic": ""}, "topic", "此字段不能为空"),
    ],
)
def test_rules_of_a_record(world, people, fields, field, message):
    values = {"kind": "inspection", "date": today(), "topic": "视察"}
    values.update(fields)
    if values["date"] == "future":
        values["date"] = today() + datetime.timedelta(days=1)
    if values.get("end_date") == "before":
        values["end_date"] = today() - datetime.timedelta(days=1)
    if values.get("station") == "b":
        values["station"] = people.station_b
    with pytest.raises(ValidationError) as exc:
        services.activity_create(region=world.town_a, user=world.clerk_a, participants=[people.me, people.a2], **values)
    assert any(message in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert not Activity.objects.exists()


def test_report_to_voters_keeps_satisfaction_and_needs_a_participant(world, people):
    with pytest.raises(ValidationError, match="请至少选择一名参加代表"):
        services.activity_create(region=world.town_a, user=world.clerk_a, kind="inspection", date=today(), topic="x")
    row = services.activity_create(
        region=world.town_a,
        user=world.clerk_a,
        kind="report_to_voters",
        date=today(),
        topic="向选民述职",
        satisfaction=96,
        voter_count=45,
        participants=[people.a3],
    )
    assert row.satisfaction == 96 and row.status == Activity.Status.CONFIRMED


# --- files ----------------------------------------------------------------------------------


def _upload(client, activity, name, content, kind="photo", title="现场照片"):
    f = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        reverse("stations:activity-file-upload", args=[activity.pk]), {"kind": kind, "title": title, "file": f}
    )


def test_upload_refuses_wrong_types_and_sizes(world, people, client, media, settings):
    activity = ActivityFactory(region=world.town_a)
    client.force_login(world.clerk_a)
    response = _upload(client, activity, "现场.jpg", EXE_BYTES)
    assert response.status_code == 400 and "文件“现场.jpg”的类型不受支持" in response.content.decode()
    response = _upload(client, activity, "签到表.pdf", PDF_BYTES, kind="photo")
    assert response.status_code == 400 and "文件“签到表.pdf”的类型不受支持" in response.content.decode()
    response = _upload(client, activity, "照片.png", PNG_BYTES, kind="document")
    assert response.status_code == 400 and "文件“照片.png”的类型不受支持" in response.content.decode()
    settings.UPLOAD_MAX_IMAGE_BYTES = 100
    response = _upload(client, activity, "大图.png", PNG_BYTES + b"\x00" * 200)
    assert response.status_code == 400 and "文件“大图.png”太大" in response.content.decode()
    assert not ActivityFile.objects.exists()

    assert _upload(client, activity, "现场.png", PNG_BYTES).status_code == 302
    assert _upload(client, activity, "签到表.pdf", PDF_BYTES, kind="document", title="").status_code == 302
    photo, document = ActivityFile.objects.order_by("pk")
    assert (photo.kind, photo.content_type, photo.uploaded_by) == ("photo", "image/png", world.clerk_a)
    assert (document.kind, document.content_type, document.title) == ("document", "application/pdf", "签到表")
    page = client.get(activity.get_absolute_url()).content.decode()
    assert f'<img src="{photo.get_absolute_url()}"' in page and document.get_absolute_url() in page

    client.force_login(world.clerk_b)
    assert _upload(client, activity, "现场.png", PNG_BYTES).status_code == 404


def test_recording_deputy_adds_photos_only_while_pending(world, people, client, media):
    activity = pending_of(world, people)
    client.force_login(world.deputy_a)
    assert _upload(client, activity, "走访.png", PNG_BYTES).status_code == 302
    services.activity_confirm(activity=activity, user=world.clerk_a)
    assert _upload(client, activity, "走访2.png", PNG_BYTES).status_code == 403
    assert ActivityFile.objects.count() == 1


def test_file_is_served_only_in_scope(world, people, client, media):
    activity = ActivityFactory(region=world.town_a, topic="甲镇视察")
    activity.participants.add(people.me)
    photo = ActivityFileFactory(activity=activity)
    document = ActivityFileFactory(
        activity=activity,
        kind="document",
        title="签到表",
        content_type="application/pdf",
        file=SimpleUploadedFile("sign.pdf", PDF_BYTES),
    )
    url = reverse("stations:activity-file", args=[photo.pk])
    client.force_login(world.clerk_b)
    assert client.get(url).status_code == 404
    client.force_login(people.deputy_b)
    assert client.get(url).status_code == 404
    for user in (world.clerk_a, world.county_admin, world.deputy_a):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG_BYTES
    response = client.get(reverse("stations:activity-file", args=[document.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def test_clerk_deletes_with_files_deputy_cannot(world, people, client, media, django_capture_on_commit_callbacks):
    activity = pending_of(world, people)
    photo = services.activity_file_add(
        activity=activity, upload=SimpleUploadedFile("a.png", PNG_BYTES), kind="photo", user=world.deputy_a
    )
    path = media / photo.file.name
    assert path.exists()
    url = reverse("stations:activity-delete", args=[activity.pk])
    client.force_login(world.deputy_a)
    assert client.post(url).status_code == 403
    client.force_login(world.clerk_a)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(url).status_code == 302
    assert callbacks  # the files go only once the rows are gone
    assert not Activity.objects.exists() and not ActivityFile.objects.exists()
    assert not path.exists()


# --- lists, counts, panels ------------------------------------------------------------------


def _add_activities(world, people, n, station=None):
    for i in range(n):
        row = ActivityFactory(region=world.town_a, station=station, date=today() - datetime.timedelta(days=i % 300))
        row.participants.add(people.me, people.a2, people.a3)
        ActivityFileFactory(activity=row)


@pytest.mark.parametrize("persona", ["clerk_a", "county_admin"])
def test_list_costs_the_same_for_5_and_30_activities(world, people, client, media, persona):
    client.force_login(getattr(world, persona))
    url = reverse("stations:activity-list") + "?page=1"
    _add_activities(world, people, 5, station=people.station_a)
    client.get(url)  # the first request after login settles the session
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["object_list"]) == 5
    _add_activities(world, people, 25, station=people.station_a)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["object_list"]) == 20 and response.context["paginator"].count == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert "甲代表本人、甲代表二、甲代表三" in response.content.decode()


def test_list_filters(world, people, client):
    ActivityFactory(region=world.town_a, kind="training", topic="代表履职培训班").participants.add(people.a2)
    ActivityFactory(region=world.town_a, kind="research", topic="产业发展调研", place="甲村").participants.add(
        people.me
    )
    ActivityFactory(region=world.town_b, kind="research", topic="乙镇调研").participants.add(people.b1)
    client.force_login(world.clerk_a)
    url = reverse("stations:activity-list")

    def topics(**params):
        return {a.topic for a in client.get(url, params).context["object_list"]}

    assert topics() == {"代表履职培训班", "产业发展调研"}
    assert topics(kind="training") == {"代表履职培训班"}
    assert topics(q="甲代表二") == {"代表履职培训班"}
    assert topics(q="甲村") == {"产业发展调研"}
    assert topics(deputy=people.me.pk) == {"产业发展调研"}
    assert topics(deputy=people.b1.pk) == set()  # another township's deputy: nothing, not an error
    assert topics(year=today().year - 1) == set()


def test_counts_by_kind_in_one_query(world, people, django_assert_num_queries):
    year = today().year

    def add(kind, status="confirmed", date=None, region=None, attendance=0):
        ActivityFactory(
            region=region or world.town_a,
            kind=kind,
            status=status,
            date=date or datetime.date(year, 3, 1),
            attendance=attendance,
        )

    add("inspection")
    add("inspection")
    add("training", attendance=30)
    add("training", attendance=12)
    add("report_to_voters")
    add("research", status="pending")
    add("research", status="pending", date=datetime.date(year - 1, 12, 1))  # still waiting
    add("group", status="rejected")
    add("inspection", date=datetime.date(year - 1, 6, 1))  # another year
    add("inspection", region=world.town_b)  # another township
    qs = Activity.objects.for_user(world.clerk_a)
    with django_assert_num_queries(1):
        counts = selectors.activity_counts(qs, year=year)
    by_kind = {k["kind"]: k["count"] for k in counts["by_kind"]}
    assert [k["label"] for k in counts["by_kind"]] == [
        "视察", "调研", "走访选民", "学习培训", "述职", "小组活动", "执法检查", "工作评议", "其他",
    ]  # fmt: skip
    assert by_kind == {
        "inspection": 2, "research": 0, "visit_voters": 0, "training": 2, "report_to_voters": 1,
        "group": 0, "law_enforcement": 0, "work_review": 0, "other": 0,
    }  # fmt: skip
    assert counts["total"] == 5 and counts["pending"] == 2 and counts["rejected"] == 1
    assert counts["training_attendance"] == 42
    county = selectors.activity_counts(Activity.objects.for_user(world.county_admin), year=year)
    assert county["total"] == 6


def test_dashboard_panel_shows_pending_for_the_clerk(world, people, client):
    pending_of(world, people)
    ActivityFactory(region=world.town_a, kind="training", date=today()).participants.add(people.me)
    client.force_login(world.clerk_a)
    page = client.get(reverse("home")).content.decode()
    assert 'id="panel-activities"' in page and "代表登记待确认" in page
    assert f"{reverse('stations:activity-list')}?status=pending" in page
    assert "学习培训 1" in page


def test_duty_file_lists_confirmed_activities_only(world, people, client):
    confirmed = ActivityFactory(region=world.town_a, topic="视察敬老院", kind="inspection")
    confirmed.participants.add(people.me)
    pending_of(world, people, topic="走访待确认")
    other = ActivityFactory(region=world.town_a, topic="别人的调研")
    other.participants.add(people.a2)
    for user in (world.clerk_a, world.deputy_a):
        client.force_login(user)
        page = client.get(people.me.get_absolute_url()).content.decode()
        assert "参加活动" in page and "视察敬老院" in page
        assert "走访待确认" not in page and "别人的调研" not in page
    # The same panel goes into the duty file's PDF.
    request = RequestFactory().get("/")
    request.user = world.clerk_a
    html, _ = render_duty_file_html(request, duty_file(Deputy.objects.filter(pk=people.me.pk)).get())
    assert "参加活动" in html and "视察敬老院" in html and "走访待确认" not in html


def test_deputy_sees_only_its_own_activities(world, people, client):
    mine = ActivityFactory(region=world.town_a, topic="我参加的视察")
    mine.participants.add(people.me)
    ActivityFactory(region=world.town_a, topic="别人的视察").participants.add(people.a2)
    client.force_login(world.deputy_a)
    page = client.get(reverse("stations:my-activity-list")).content.decode()
    assert "我参加的视察" in page and "别人的视察" not in page
    assert client.get(reverse("stations:activity-list")).status_code == 403
    client.force_login(world.clerk_a)
    assert client.get(reverse("stations:my-activity-list")).status_code == 403


def test_group_picker_offers_the_townships_groups(world, people, client):
    group = DeputyGroupFactory(region=world.town_a, name="甲镇第一代表小组")
    group.members.add(people.me, people.a2)
    client.force_login(world.clerk_a)
    response = client.get(reverse("stations:activity-create"))
    page = response.content.decode()
    assert "甲镇第一代表小组" in page and f'data-groups="{group.pk} "' in page
    assert "js/activities.js" in page


def test_county_list_narrows_to_one_township(world, client):
    """The year dashboard links a township's cell to the county's list with ?township=."""
    ActivityFactory(region=world.town_a, topic="甲镇视察村道")
    ActivityFactory(region=world.town_b, topic="乙镇调研饮水")
    client.force_login(world.county_admin, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("stations:activity-list")
    both = client.get(url).content.decode()
    assert "甲镇视察村道" in both and "乙镇调研饮水" in both
    only_a = client.get(url, {"township": world.town_a.pk}).content.decode()
    assert "甲镇视察村道" in only_a and "乙镇调研饮水" not in only_a
    # Another township's id from clerk A's own list shows nothing of it.
    client.force_login(world.clerk_a, backend="django.contrib.auth.backends.ModelBackend")
    assert "乙镇调研饮水" not in client.get(url, {"township": world.town_b.pk}).content.decode()
