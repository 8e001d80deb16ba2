"""Who sees a deputy's ID number and phone (deputies/privacy.py): masked everywhere; in
full only to the deputy's own township clerk and county staff, and only after an explicit
显示 that writes an audit entry each time."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from deputies.privacy import mask_id_number, mask_phone, may_see_full
from org.models import AuditEntry
from tests.deputies.test_models import make_id
from tests.factories import DeputyFactory

pytestmark = pytest.mark.django_db

NUMBER = make_id(datetime.date(1975, 4, 3), serial=57)
PHONE = "13987654321"
MASKED_ID = NUMBER[:4] + "*" * 10 + NUMBER[-4:]
MASKED_PHONE = "139****4321"


@pytest.fixture
def deputy(world):
    return DeputyFactory(
        region=world.town_a,
        name="隐私代表",
        birth_date=datetime.date(1975, 4, 3),
        id_number=NUMBER,
        phone=PHONE,
        user=world.deputy_a,
    )


def reveals():
    return AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_SENSITIVE)


def test_masks():
    assert mask_id_number("510104198001011234") == "5101**********1234"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_id_number("") == "" and mask_phone(None) == ""


@pytest.mark.parametrize(
    ("persona", "full"),
    [("county_admin", True), ("clerk_a", True), ("clerk_b", False), ("deputy_a", False), ("auditor", False)],
)
def test_may_see_full_per_role(world, deputy, persona, full):
    assert may_see_full(getattr(world, persona), deputy) is full


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a"])
def test_allowed_roles_see_masked_values_and_a_reveal_button(world, deputy, login, persona):
    page = login(getattr(world, persona)).get(deputy.get_absolute_url()).content.decode()
    assert MASKED_ID in page and MASKED_PHONE in page
    assert NUMBER not in page and PHONE not in page
    assert reverse("deputies:deputy-reveal", args=[deputy.pk]) in page
    assert not reveals().exists()


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a"])
def test_every_reveal_is_audited(world, deputy, login, persona):
    user = getattr(world, persona)
    c = login(user)
    url = reverse("deputies:deputy-reveal", args=[deputy.pk])
    r = c.post(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    text = r.content.decode()
    assert NUMBER in text and PHONE in text
    assert "<html" not in text  # an HTMX fragment
    c.post(url)  # without HTMX: a page of its own
    entries = list(reveals())
    assert len(entries) == 2
    for entry in entries:
        assert entry.user == user and entry.object_id == str(deputy.pk) and entry.model == "deputies.deputy"
        assert entry.changes["note"]["new"] == "查看完整身份证号和电话"


def test_a_get_reveals_nothing(world, deputy, login):
    r = login(world.clerk_a).get(reverse("deputies:deputy-reveal", args=[deputy.pk]))
    assert r.status_code == 405 and NUMBER not in r.content.decode()
    assert not reveals().exists()


def test_another_townships_clerk_gets_404(world, deputy, login):
    c = login(world.clerk_b)
    url = reverse("deputies:deputy-reveal", args=[deputy.pk])
    assert c.post(url, HTTP_HX_REQUEST="true").status_code == 404
    assert c.get(url).status_code == 404
    assert c.get(deputy.get_absolute_url()).status_code == 404
    assert not reveals().exists()


def test_the_deputy_sees_its_own_record_masked_and_cannot_reveal(world, deputy, login):
    c = login(world.deputy_a)
    page = c.get(deputy.get_absolute_url()).content.decode()
    assert "隐私代表" in page and MASKED_ID in page and NUMBER not in page
    assert reverse("deputies:deputy-reveal", args=[deputy.pk]) not in page
    assert c.post(reverse("deputies:deputy-reveal", args=[deputy.pk])).status_code == 403
    assert not reveals().exists()


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a"])
def test_lists_show_masked_values_even_to_those_allowed(world, deputy, login, persona):
    page = login(getattr(world, persona)).get(reverse("deputies:deputy-list")).content.decode()
    assert "隐私代表" in page and MASKED_ID in page
    assert NUMBER not in page and PHONE not in page


def test_the_edit_form_does_not_show_the_full_numbers(world, deputy, login):
    c = login(world.clerk_a)
    url = reverse("deputies:deputy-update", args=[deputy.pk])
    page = c.get(url).content.decode()
    assert NUMBER not in page and PHONE not in page and MASKED_ID in page
    # Left empty, the stored values stay.
    r = c.post(
        url,
        {
            "name": "隐私代表",
            "gender": "M",
            "ethnicity": "汉族",
            "birth_date": "1975-04-03",
            "id_number": "",
            "phone": "",
            "party": "masses",
            "occupation": "other",
            "work_unit": "新单位",
        },
    )
    assert r.status_code == 302
    deputy.refresh_from_db()
    assert (deputy.id_number, deputy.phone, deputy.work_unit) == (NUMBER, PHONE, "新单位")


def test_the_audit_log_keeps_only_masked_numbers(world, deputy, login):
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, model="deputies.deputy")
    assert entry.changes["id_number"]["new"] == MASKED_ID
