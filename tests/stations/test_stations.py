"""Rooms, standards, checklists, uploads and the seeder of stations/."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from stations.models import Standard, StandardItem, Station, StationFile, StationItemState
from stations.services import standards_preload
from tests.factories import PNG_BYTES, DeputyGroupFactory, StationFactory, StationFileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_kind_must_match_region_kind(world):
    with pytest.raises(ValidationError, match="代表之家只能设在乡镇"):
        Station(kind=Station.Kind.HOME, name="x", region=world.village_a).full_clean()
    with pytest.raises(ValidationError, match="联络站"):
        Station(kind=Station.Kind.LIAISON, name="y", region=world.town_a).full_clean()
    s = Station(kind=Station.Kind.LIAISON, name="甲村联络站", region=world.village_a)
    s.full_clean(exclude=["township"])
    s.save()
    assert s.township == world.town_a


def test_one_state_per_item(world):
    std = standards_preload(county=world.county, year=2026)[0]
    station = StationFactory(region=world.town_a)
    item = std.items.first()
    StationItemState.objects.create(station=station, item=item)
    with pytest.raises(IntegrityError), transaction.atomic():
        StationItemState.objects.create(station=station, item=item)


def test_preload_creates_four_standards_once(world):
    created = standards_preload(county=world.county, year=2026)
    assert {s.name for s in created} == {"六有", "七有", "八有", "十有"}
    six = Standard.objects.get(region=world.county, name="六有")
    assert [i.title for i in six.items.all()] == ["有场所", "有标识", "有人员", "有制度", "有活动", "有资料"]
    assert sum(i.points for i in Standard.objects.get(name="十有").items.all()) == 100
    assert standards_preload(county=world.county, year=2026) == []


def test_scoping_of_stations_and_photo(world, client, media):
    photo = StationFileFactory(station=StationFactory(region=world.town_a, name="甲镇人大代表之家"))
    StationFactory(region=world.town_b, name="乙镇人大代表之家")
    url = reverse("stations:file-download", args=[photo.pk])
    client.force_login(world.clerk_b)
    assert client.get(photo.station.get_absolute_url()).status_code == 404
    assert client.get(url).status_code == 404
    page = client.get(reverse("stations:station-list")).content.decode()
    assert "乙镇人大代表之家" in page and "甲镇人大代表之家" not in page
    client.force_login(world.clerk_a)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG_BYTES
    client.force_login(world.county_admin)
    page = client.get(reverse("stations:station-list")).content.decode()
    assert "乙镇人大代表之家" in page and "甲镇人大代表之家" in page


def test_clerk_writes_only_own_township(world, client):
    group_a = DeputyGroupFactory(region=world.town_a, name="甲组")
    group_b = DeputyGroupFactory(region=world.town_b, name="乙组")
    client.force_login(world.clerk_a)
    data = {"kind": "liaison", "name": "甲村代表联络站", "region": world.village_a.pk, "groups": [group_a.pk],
            "active": "on"}  # fmt: skip
    response = client.post(reverse("stations:station-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    station = Station.objects.get(name="甲村代表联络站")
    assert station.township == world.town_a and list(station.groups.all()) == [group_a]
    # Another township's region or group is not a valid choice.
    response = client.post(reverse("stations:station-create"), {**data, "name": "x", "region": world.town_b.pk})
    assert response.status_code == 200 and "region" in response.context["form"].errors
    response = client.post(reverse("stations:station-create"), {**data, "name": "y", "groups": [group_b.pk]})
    assert response.status_code == 200 and "groups" in response.context["form"].errors
    client.force_login(world.clerk_b)
    edit = reverse("stations:station-update", args=[station.pk])
    assert client.post(edit, {**data, "name": "改名"}).status_code == 404
    client.force_login(world.county_admin)
    assert client.post(edit, {**data, "name": "改名"}).status_code == 403
    station.refresh_from_db()
    assert station.name == "甲村代表联络站"


def test_county_admin_edits_standard_items_clerk_cannot(world, client):
    standards_preload(county=world.county, year=2026)
    item = StandardItem.objects.get(standard__name="六有", title="有场所")
    url = reverse("stations:standard-item-update", args=[item.pk])
    data = {"order": 1, "title": "有固定场所", "description": "", "points": 20}
    client.force_login(world.clerk_a)
    assert client.get(reverse("stations:standard-detail", args=[item.standard_id])).status_code == 200
    assert client.post(url, data).status_code == 403
    item.refresh_from_db()
    assert item.title == "有场所"
    client.force_login(world.county_admin)
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.title == "有固定场所" and item.points == 20


def test_preload_button(world, client):
    client.force_login(world.clerk_a)
    assert client.post(reverse("stations:standard-preload"), {"year": 2026}).status_code == 403
    client.force_login(world.county_admin)
    page = client.get(reverse("stations:standard-list")).content.decode()
    assert "加载默认标准" in page
    response = client.post(reverse("stations:standard-preload"), {"county": world.county.pk, "year": 2026})
    assert response.status_code == 302
    assert Standard.objects.filter(region=world.county, year=2026).count() == 4


def _upload(client, station, name, content, kind="photo"):
    f = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post(
        reverse("stations:station-file-upload", args=[station.pk]), {"kind": kind, "title": "门牌", "file": f}
    )


def test_upload_refuses_renamed_and_too_big_files(world, client, media, settings):
    station = StationFactory(region=world.town_a)
    client.force_login(world.clerk_a)
    response = _upload(client, station, "门牌.jpg", b"MZ\x90\x00 this is a program")
    assert response.status_code == 400
    assert "文件“门牌.jpg”的类型不受支持" in response.content.decode()
    settings.UPLOAD_MAX_IMAGE_BYTES = 100
    response = _upload(client, station, "大图.png", PNG_BYTES + b"\x00" * 200)
    assert response.status_code == 400
    assert "文件“大图.png”太大" in response.content.decode()
    assert not StationFile.objects.exists()
    settings.UPLOAD_MAX_IMAGE_BYTES = 5 * 1024 * 1024
    assert _upload(client, station, "门牌.png", PNG_BYTES).status_code == 302
    row = StationFile.objects.get()
    assert row.content_type == "image/png" and row.uploaded_by == world.clerk_a
    client.force_login(world.clerk_b)
    assert _upload(client, station, "门牌.png", PNG_BYTES).status_code == 404


def test_gaps_shown_and_item_state_edit(world, client, media):
    standards_preload(county=world.county, year=2026)
    station = StationFactory(region=world.town_a)
    items = list(StandardItem.objects.filter(standard__name="六有"))
    for item in items[:4]:
        StationItemState.objects.create(station=station, item=item, state="met")
    StationItemState.objects.create(station=station, item=items[4], state="partly")
    client.force_login(world.clerk_a)
    page = client.get(station.get_absolute_url()).content.decode()
    assert (
        "差距 2 项" in page
        and "<strong>有活动</strong>（部分达标）" in page
        and "<strong>有资料</strong>（未自评）" in page
    )
    url = reverse("stations:station-item-state", args=[station.pk])
    evidence = SimpleUploadedFile("台账.png", PNG_BYTES)
    response = client.post(url, {"item": items[5].pk, "state": "met", "note": "已补齐", "evidence": evidence})
    assert response.status_code == 302
    state = StationItemState.objects.get(station=station, item=items[5])
    assert state.state == "met" and state.evidence_type == "image/png" and state.updated_by == world.clerk_a
    client.force_login(world.clerk_b)
    assert client.post(url, {"item": items[5].pk, "state": "not"}).status_code == 404
    assert client.get(reverse("stations:evidence-download", args=[state.pk])).status_code == 404
    client.force_login(world.county_admin)
    assert client.get(reverse("stations:evidence-download", args=[state.pk])).status_code == 200
    assert client.post(url, {"item": items[5].pk, "state": "not"}).status_code == 403


def test_dashboard_panel_counts_failing_rooms(world, client):
    standards_preload(county=world.county, year=2026)
    ok = StationFactory(region=world.town_a)
    StationFactory(region=world.town_a)
    for item in StandardItem.objects.filter(standard__name="六有"):
        StationItemState.objects.create(station=ok, item=item, state="met")
    from stations import selectors

    counts = selectors.station_counts(Station.objects.for_user(world.clerk_a))
    assert counts == {"total": 2, "homes": 2, "liaisons": 0, "failing": 1}
    client.force_login(world.clerk_a)
    assert "“六有”未全部达标" in client.get("/").content.decode()
