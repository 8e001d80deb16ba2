"""The public opinion page 群众意见 (no login) and each room's QR code and poster.

A submission lands as a recorded public VoterIssue in the room's township's inbox; spam is
kept out by a honeypot, a signed form stamp (too fast / too old), size limits and per-IP
rate limits; what a voter typed is shown escaped; the lookup by tracking code shows the
state and the reply only. Clerks get a scoped QR code and an A4 poster PDF."""

from __future__ import annotations

import re
import subprocess
import time
import types

import pytest
import segno
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse

from org.uploads import MB
from stations import pdf_public, services_public, urls_qr
from stations.models import Station, VoterIssue, VoterIssueEvent
from stations.services_public import LOOKUP_LIMITS, SUBMIT, SUBMIT_LIMITS
from stations.views_public import max_request_bytes
from tests.factories import PNG_BYTES, HandlingUnitFactory, StationFactory, VoterIssueFactory

pytestmark = pytest.mark.django_db

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
IP_A = "10.1.1.1"
IP_B = "10.2.2.2"


@pytest.fixture(autouse=True)
def clear_cache():
    """Rate-limit counters live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def station(world):
    return StationFactory(
        kind=Station.Kind.LIAISON,
        region=world.village_a,
        name="甲村代表联络站",
        address="甲镇甲村村委会二楼",
        opening_hours="工作日 8:30—17:30",
        reception_rule="每月第二个星期二",
    )


def opinion_url(station):
    return reverse("public:opinion", args=[station.public_code])


def stamp(station, seconds_ago=10):
    return services_public.form_stamp_new(station=station, at=time.time() - seconds_ago)


def post_opinion(client, station, *, ip=IP_A, seconds_ago=10, **fields):
    data = {"content": "村口路灯坏了一个多月，晚上出行不便，请尽快修理。", "stamp": stamp(station, seconds_ago)}
    data.update(fields)
    return client.post(opinion_url(station), data, REMOTE_ADDR=ip)


def page(response) -> str:
    return response.content.decode()


# --- the form and a submission ------------------------------------------------------------


def test_form_is_a_standalone_mobile_page(client, station):
    response = client.get(opinion_url(station))
    assert response.status_code == 200
    text = page(response)
    assert "甲村代表联络站" in text and "甲镇" in text
    assert 'name="viewport"' in text and "vendor/bootstrap/css/bootstrap.min.css" in text
    assert 'name="website"' in text and 'name="stamp"' in text and "csrfmiddlewaretoken" in text
    assert "/login/" not in text and "sidebar" not in text and "退出登录" not in text
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_submission_lands_in_the_township_inbox_with_a_tracking_code(client, world, station, media):
    response = post_opinion(
        client,
        station,
        voter_name="王大爷",
        voter_phone="138 0013 8000",
        photo=SimpleUploadedFile("IMG_20260310.HEIC", PNG_BYTES, content_type="image/png"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("public:thanks")
    issue = VoterIssue.objects.get()
    assert issue.source == VoterIssue.Source.PUBLIC
    assert issue.state == VoterIssue.State.RECORDED
    assert issue.region == world.town_a  # the room's township, not its village
    assert issue.station == station
    assert issue.voter_name == "王大爷" and issue.voter_phone == "13800138000"
    assert issue.recorded_by is None
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}", issue.tracking_code)
    # The photo is kept under a name of our own, its type read from the content.
    assert issue.photo_type == "image/png" and issue.photo.name.endswith(".png")
    assert "IMG_20260310" not in issue.photo.name
    event = VoterIssueEvent.objects.get(issue=issue)
    assert event.to_state == VoterIssue.State.RECORDED and event.from_state == "" and "扫码" in event.note

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    code = services_public.format_tracking_code(issue.tracking_code)
    assert code in page(thanks) and "请把查询码抄下来" in page(thanks)
    # The code lives in this browser's session only, never in an address.
    assert issue.tracking_code not in response["Location"]
    other = Client().get(reverse("public:thanks"))
    assert other.status_code == 200 and code not in page(other) and "没有找到刚提交的意见" in page(other)


def test_landline_and_no_contact_details_are_accepted(client, station):
    assert post_opinion(client, station, voter_phone="0310-1234567").status_code == 302
    assert post_opinion(client, station).status_code == 302
    assert list(VoterIssue.objects.order_by("pk").values_list("voter_phone", flat=True)) == ["0310-1234567", ""]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"content": "  好  "}, "意见内容太短"),
        ({"content": "很" * 1001}, "意见内容太长"),
        ({"voter_phone": "12345"}, "联系电话"),
        ({"voter_name": "名" * 51}, "姓名太长"),
    ],
)
def test_invalid_fields_are_chinese_errors_on_the_form(client, station, fields, message):
    response = post_opinion(client, station, **fields)
    assert response.status_code == 200
    assert message in page(response)
    assert not VoterIssue.objects.exists()


def test_tracking_code_is_drawn_again_on_collision(station, monkeypatch):
    taken = VoterIssueFactory(region=station.township, station=station, tracking_code="AAAAABBBBB")
    codes = iter(["AAAAABBBBB", "CCCCCDDDDD"])
    monkeypatch.setattr(services_public, "new_tracking_code", lambda: next(codes))
    issue = services_public.public_opinion_submit(
        station=station, content="路面塌陷，需要修补。", voter_name="", voter_phone="", photo=None, ip=IP_A
    )
    assert issue.tracking_code == "CCCCCDDDDD" and taken.tracking_code == "AAAAABBBBB"


# --- spam protection ----------------------------------------------------------------------


def test_honeypot_filled_is_refused(client, station):
    response = post_opinion(client, station, website="http://spam.example")
    assert response.status_code == 200 and "提交未通过校验" in page(response)
    assert not VoterIssue.objects.exists()


def test_too_fast_submission_is_refused(client, station):
    form = page(client.get(opinion_url(station)))
    fresh = re.search(r'name="stamp" value="([^"]+)"', form).group(1)
    response = client.post(opinion_url(station), {"content": "村口路灯坏了。", "stamp": fresh}, REMOTE_ADDR=IP_A)
    assert response.status_code == 200 and "提交太快了" in page(response)
    assert not VoterIssue.objects.exists()


@pytest.mark.parametrize(
    ("make_stamp", "message"),
    [
        (lambda s, other: stamp(s, seconds_ago=2 * 86400), "已过期"),
        (lambda s, other: stamp(other), "页面校验失败"),  # a stamp of another room
        (lambda s, other: stamp(s)[:-3] + "xyz", "页面校验失败"),  # tampered
        (lambda s, other: "", "页面校验失败"),
    ],
)
def test_stale_foreign_or_forged_stamps_are_refused(client, world, station, make_stamp, message):
    other = StationFactory(region=world.town_b)
    response = post_opinion(client, station, stamp=make_stamp(station, other))
    assert response.status_code == 200 and message in page(response)
    assert not VoterIssue.objects.exists()


def test_sixth_submission_in_an_hour_from_one_ip_is_429(client, station):
    hourly = dict(SUBMIT_LIMITS)[3600]
    for _ in range(hourly):
        assert post_opinion(client, station, ip=IP_A).status_code == 302
    response = post_opinion(client, station, ip=IP_A)
    assert response.status_code == 429
    assert "提交太频繁了：同一网络每小时最多5条、每天最多20条意见" in page(response)
    assert int(response["Retry-After"]) > 0
    assert VoterIssue.objects.count() == hourly
    # Another IP is not affected.
    assert post_opinion(Client(), station, ip=IP_B).status_code == 302
    assert VoterIssue.objects.count() == hourly + 1


def test_daily_limit_applies_too(client, station, monkeypatch):
    monkeypatch.setitem(services_public.LIMITS, SUBMIT, ((3600, 100), (86400, 2)))
    assert post_opinion(client, station).status_code == 302
    assert post_opinion(client, station).status_code == 302
    assert post_opinion(client, station).status_code == 429
    assert VoterIssue.objects.count() == 2


def test_many_refused_attempts_are_429_too(client, station):
    """A bot that never gets past the checks is still stopped."""
    hourly = dict(services_public.ATTEMPT_LIMITS)[3600]
    for _ in range(hourly):
        assert post_opinion(client, station, website="spam").status_code == 200
    response = post_opinion(client, station)
    assert response.status_code == 429 and "提交次数太多" in page(response)
    assert not VoterIssue.objects.exists()


def test_csrf_stays_on(station):
    client = Client(enforce_csrf_checks=True)
    data = {"content": "村口路灯坏了一个多月。", "stamp": stamp(station)}
    refused = client.post(opinion_url(station), data, REMOTE_ADDR=IP_A)
    # A voter whose form went stale gets a Chinese page saying what to do.
    assert refused.status_code == 403 and "页面已过期" in refused.content.decode()
    assert not VoterIssue.objects.exists()
    client.get(opinion_url(station))
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    assert client.post(opinion_url(station), data, REMOTE_ADDR=IP_A).status_code == 302
    assert VoterIssue.objects.count() == 1


# --- uploads ------------------------------------------------------------------------------


def test_oversized_photo_is_a_form_error(client, station, media):
    big = SimpleUploadedFile("photo.jpg", JPEG_HEAD + b"\x00" * (5 * MB), content_type="image/jpeg")
    response = post_opinion(client, station, photo=big)
    assert response.status_code == 200
    assert "照片太大" in page(response) and "5 MB" in page(response)
    assert not VoterIssue.objects.exists()


def test_oversized_request_is_refused_before_it_is_read(client, station, media):
    huge = SimpleUploadedFile("photo.jpg", JPEG_HEAD + b"\x00" * max_request_bytes(), content_type="image/jpeg")
    response = post_opinion(client, station, photo=huge)
    assert response.status_code == 413
    assert "提交的内容太大" in page(response) and 'name="content"' in page(response)
    assert not VoterIssue.objects.exists()


def test_non_image_photo_is_a_form_error(client, station, media):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture at all", content_type="image/jpeg")
    response = post_opinion(client, station, photo=fake)
    assert response.status_code == 200 and "照片只能是 JPEG 或 PNG" in page(response)
    assert not VoterIssue.objects.exists()


# --- what the voter typed is shown escaped ------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_script_is_stored_as_typed_and_shown_escaped(client, station):
    assert post_opinion(client, station, content=SCRIPT).status_code == 302
    assert VoterIssue.objects.get().content == SCRIPT
    thanks = page(client.get(reverse("public:thanks")))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in thanks and SCRIPT not in thanks

    track = page(client.post(reverse("public:track"), {"code": SCRIPT}, REMOTE_ADDR=IP_A))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in track and SCRIPT not in track
    assert "未找到" in track


def test_invalid_form_echoes_the_text_escaped(client, station):
    response = post_opinion(client, station, content=SCRIPT, website="x")
    text = page(response)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and SCRIPT not in text


# --- lookup by tracking code --------------------------------------------------------------


def _public_issue(station, **kw):
    defaults = {
        "region": station.township,
        "station": station,
        "source": VoterIssue.Source.PUBLIC,
        "content": "甲村东头排水沟堵塞，雨天积水。",
        "voter_name": "李秀英",
        "voter_phone": "13912345678",
        "tracking_code": "ABCDEFGHJK",
    }
    return VoterIssueFactory(**{**defaults, **kw})


def lookup(client, code, ip=IP_A):
    return client.post(reverse("public:track"), {"code": code}, REMOTE_ADDR=ip)


def test_lookup_shows_state_and_reply_only(client, world, station):
    unit = HandlingUnitFactory(region=world.town_a, name="甲镇水利站")
    _public_issue(
        station,
        state=VoterIssue.State.ANSWERED,
        handling_unit=unit,
        answer="已安排清淤，3月20日前完成。",
        feedback_note="内部备注：需再次回访",
    )
    _public_issue(station, tracking_code="ZZZZZYYYYY", content="另一位群众反映的养老金问题", voter_name="赵四")
    response = lookup(client, " abcde-fghjk ")  # case, spaces and dashes ignored
    assert response.status_code == 200
    text = page(response)
    assert "甲村代表联络站" in text and "已答复" in text and "已安排清淤，3月20日前完成。" in text
    for secret in ("李秀英", "13912345678", "甲镇水利站", "内部备注", "养老金", "赵四", "排水沟"):
        assert secret not in text, secret


@pytest.mark.parametrize(
    ("state", "fields", "words", "shown", "hidden"),
    [
        (VoterIssue.State.RECORDED, {}, "已收到", None, None),
        # The unit's answer reaches the voter only once the issue is answered.
        (VoterIssue.State.REFERRED, {"answer": "草拟答复：未定"}, "办理中", None, "草拟答复"),
        (VoterIssue.State.ON_SPOT, {"on_spot_answer": "代表当场解释了政策。"}, "已答复", "代表当场解释了政策。", None),
        (VoterIssue.State.FED_BACK, {"answer": "已修复。"}, "已答复", "已修复。", None),
        (VoterIssue.State.CLOSED, {"answer": "已修复并验收。"}, "已办结", "已修复并验收。", None),
    ],
)
def test_lookup_states_in_voters_words(client, station, state, fields, words, shown, hidden):
    _public_issue(station, state=state, **fields)
    text = page(lookup(client, "ABCDEFGHJK"))
    assert words in text
    if shown:
        assert shown in text
    if hidden:
        assert hidden not in text


def test_lookup_with_a_wrong_code_shows_not_found_and_nothing_else(client, station):
    _public_issue(station, state=VoterIssue.State.ANSWERED, answer="已安排清淤。")
    for wrong in ("ABCDEFGHJM", "abc", "0000000000"):
        text = page(lookup(client, wrong))
        assert "未找到" in text
        for secret in ("甲村代表联络站", "已答复", "已安排清淤", "李秀英", "排水沟"):
            assert secret not in text, (wrong, secret)


def test_lookup_only_finds_public_issues(client, station):
    _public_issue(station, source=VoterIssue.Source.RECEPTION)
    assert "未找到" in page(lookup(client, "ABCDEFGHJK"))


def test_lookup_is_rate_limited_per_ip(client, station):
    _public_issue(station)
    hourly = dict(LOOKUP_LIMITS)[3600]
    for i in range(hourly):
        assert lookup(client, f"WRONG{i:05d}").status_code == 200
    response = lookup(client, "ABCDEFGHJK")
    assert response.status_code == 429 and "查询太频繁" in page(response)
    assert "已收到" not in page(response)
    assert "已收到" in page(lookup(Client(), "ABCDEFGHJK", ip=IP_B))


def test_track_page_get_shows_the_form(client):
    response = client.get(reverse("public:track"))
    assert response.status_code == 200 and 'name="code"' in page(response) and "未找到" not in page(response)


def test_opinion_page_shows_nothing_but_its_room(client, world, station):
    """The exempt-view leak check of tests/org/test_scoping_urls.py, for the one public URL
    with a kwarg: the room's page holds none of the room's issues or other rooms."""
    _public_issue(station, state=VoterIssue.State.ANSWERED, answer="已安排清淤。")
    StationFactory(region=world.town_a, name="甲镇人大代表之家")
    StationFactory(region=world.town_b, name="乙镇人大代表之家")
    text = page(client.get(opinion_url(station)))
    assert "甲村代表联络站" in text
    for secret in ("排水沟", "李秀英", "13912345678", "已安排清淤", "甲镇人大代表之家", "乙镇", "ABCDEFGHJK"):
        assert secret not in text, secret


# --- unknown and closed rooms -------------------------------------------------------------


def test_unknown_or_closed_room_is_404(client, station):
    assert client.get(reverse("public:opinion", args=["nosuchroom12"])).status_code == 404
    response = client.post(reverse("public:opinion", args=["nosuchroom12"]), {"content": "x" * 10})
    assert response.status_code == 404 and "没有找到这个代表之家" in page(response)
    station.active = False
    station.closed_on = station.created_at.date()
    station.save()
    assert client.get(opinion_url(station)).status_code == 404
    assert post_opinion(client, station).status_code == 404
    assert not VoterIssue.objects.exists()


# --- clerks: QR code and poster -----------------------------------------------------------


@pytest.fixture
def qr_urls(settings):
    """stations/urls.py includes urls_qr once the parts are integrated; until then, a URLconf
    that does."""
    try:
        reverse("stations:station-qr", args=[1])
        return
    except NoReverseMatch:
        pass
    import config.urls
    import stations.urls

    conf = types.ModuleType("public_test_urls")
    others = [p for p in config.urls.urlpatterns if str(p.pattern) != "stations/"]
    conf.urlpatterns = [
        path("stations/", include((urls_qr.urlpatterns + stations.urls.urlpatterns, "stations"))),
        *others,
    ]
    settings.ROOT_URLCONF = conf


def test_qr_code_encodes_the_public_address(world, station, login, settings, qr_urls):
    settings.PUBLIC_BASE_URL = "https://rd.example.gov.cn"
    expected = f"https://rd.example.gov.cn/v/{station.public_code}/"
    response = login(world.clerk_a).get(reverse("stations:station-qr", args=[station.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    # segno has no decoder: the image is the one segno makes for the expected address.
    assert response.content == pdf_public.qr_png(expected)
    assert pdf_public.station_qr(expected) == segno.make(expected, error="q", micro=False)
    assert pdf_public.station_qr(expected) != segno.make(expected + "x", error="q", micro=False)

    svg = login(world.county_admin).get(reverse("stations:station-qr", args=[station.pk]) + "?format=svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_qr_address_falls_back_to_the_request_host(world, station, login, settings, qr_urls):
    settings.PUBLIC_BASE_URL = ""
    response = login(world.clerk_a).get(reverse("stations:station-qr", args=[station.pk]))
    assert response.content == pdf_public.qr_png(f"http://testserver/v/{station.public_code}/")


def test_qr_and_poster_pass_the_generic_scoping_check(world, client, qr_urls):
    """The checks of tests/org/test_scoping_urls.py, on these routes (before and after they are
    included in stations/urls.py)."""
    from tests.org.test_scoping_urls import check_detail, classify
    from tests.org.urlwalk import walk

    routes = list(walk(urls_qr.urlpatterns, prefix="stations/", namespace="stations:"))
    assert {r.name for r in routes} == {"stations:station-qr", "stations:station-poster"}
    for route in routes:
        assert classify(route) == ("detail", "Station")
        check_detail(route, world, client)


def test_qr_and_poster_are_scoped(world, station, login, qr_urls):
    for name in ("stations:station-qr", "stations:station-poster"):
        url = reverse(name, args=[station.pk])
        assert login(world.clerk_b).get(url).status_code == 404
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_poster_pdf(world, station, login, settings, qr_urls, tmp_path):
    settings.PUBLIC_BASE_URL = "https://rd.example.gov.cn"
    response = login(world.clerk_a).get(reverse("stations:station-poster", args=[station.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" not in response["Content-Disposition"]
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.content)

    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    for expected in (
        "人大代表之家（联络站）群众意见征集",
        "甲村代表联络站",
        "甲镇甲村村委会二楼",
        "工作日 8:30—17:30",
        "每月第二个星期二",
        f"https://rd.example.gov.cn/v/{station.public_code}/",
        "查询码",
        "甲镇人大主席团",
    ):
        assert expected in text, expected
    assert text.count("\f") == 1, "the poster is one page"

    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK", line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column
