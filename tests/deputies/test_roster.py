"""The roster 代表名册: filters, search by name or pinyin initials, pagination that keeps
the filters, masked ID numbers, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deputies import services
from deputies.models import Deputy, Mandate
from deputies.selectors import years_before
from tests.deputies.test_models import county_terms, make_id, seat
from tests.factories import DeputyFactory, MandateFactory

pytestmark = pytest.mark.django_db
ROSTER = reverse("deputies:deputy-list")


@pytest.fixture
def people(world):
    """Six deputies of township A and one of B, each different in one way."""
    previous, current = county_terms(world.county)
    today = datetime.date.today()
    a = world.town_a
    rows = {
        "zhangwei": DeputyFactory(region=a, name="张伟", birth_date=years_before(today, 30), party="cpc"),
        "liming": DeputyFactory(
            region=a, name="李明", ethnicity="回族", education="bachelor", birth_date=years_before(today, 40)
        ),
        "wangfang": DeputyFactory(
            region=a, name="王芳", gender="F", occupation="farmer", birth_date=years_before(today, 55)
        ),
        "zhaowu": DeputyFactory(region=a, name="赵武", ethnicity="满族", birth_date=years_before(today, 61)),
        "resigned": DeputyFactory(region=a, name="钱退", work_unit="甲村合作社"),
        "old": DeputyFactory(region=a, name="孙旧"),
        "town_b": DeputyFactory(region=world.town_b, name="乙镇周八"),
    }
    for key, d in rows.items():
        if key not in ("resigned", "old"):
            seat(d, current)
    seat(rows["resigned"], current, status=Mandate.Status.RESIGNED, ended_on=datetime.date(2023, 1, 1))
    seat(rows["old"], previous, status=Mandate.Status.EXPIRED, ended_on=previous.end_date)
    # Two matching mandates must still give one row.
    seat(rows["zhangwei"], previous, status=Mandate.Status.EXPIRED, ended_on=previous.end_date)
    MandateFactory(deputy=rows["zhangwei"], region=world.county, term=current, level=Mandate.Level.COUNTY)
    group = services.group_create(region=a, name="一组", members=[rows["liming"], rows["wangfang"]])
    return {"rows": rows, "previous": previous, "current": current, "group": group}


def names(response):
    return sorted(d.name for d in response.context["object_list"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["孙旧", "张伟", "李明", "王芳", "赵武", "钱退"]),
        ({"q": "zw"}, ["张伟", "赵武"]),
        ({"q": "ZW"}, ["张伟", "赵武"]),
        ({"q": "zhw"}, []),
        ({"q": "王"}, ["王芳"]),
        ({"q": "合作社"}, ["钱退"]),
        ({"gender": "F"}, ["王芳"]),
        ({"ethnicity": "minority"}, ["李明", "赵武"]),
        ({"ethnicity": "满族"}, ["赵武"]),
        ({"ethnicity": "汉族"}, ["孙旧", "张伟", "王芳", "钱退"]),
        ({"party": "cpc"}, ["张伟"]),
        ({"education": "bachelor"}, ["李明"]),
        ({"occupation": "farmer"}, ["王芳"]),
        ({"age": "u35"}, ["张伟"]),
        ({"age": "35_49"}, ["李明"]),
        ({"age": "50_59"}, ["王芳"]),
        ({"age": "60p"}, ["赵武"]),
        ({"status": "serving"}, ["张伟", "李明", "王芳", "赵武"]),
        ({"status": "resigned"}, ["钱退"]),
        ({"status": "expired"}, ["孙旧", "张伟"]),
        ({"level": "county"}, ["张伟"]),
        ({"level": "county", "status": "resigned"}, []),
        ({"status": "gibberish"}, ["孙旧", "张伟", "李明", "王芳", "赵武", "钱退"]),
    ],
)
def test_filters_and_search(world, people, login, query, expected):
    r = login(world.clerk_a).get(ROSTER, query)
    assert r.status_code == 200
    assert names(r) == expected


def test_term_and_group_filters(world, people, login):
    c = login(world.clerk_a)
    assert names(c.get(ROSTER, {"term": people["previous"].pk})) == ["孙旧", "张伟"]
    assert names(c.get(ROSTER, {"term": people["current"].pk, "status": "serving"})) == [
        "张伟",
        "李明",
        "王芳",
        "赵武",
    ]
    assert names(c.get(ROSTER, {"group": people["group"].pk})) == ["李明", "王芳"]


def test_county_admin_filters_by_township(world, people, login):
    c = login(world.county_admin)
    assert "乙镇周八" in names(c.get(ROSTER))
    assert names(c.get(ROSTER, {"region": world.town_b.pk})) == ["乙镇周八"]
    form = c.get(ROSTER).context["filter_form"]
    assert set(form.fields["region"].queryset) == {world.town_a, world.town_b}
    assert "group" not in form.fields  # groups are listed once a township is chosen
    form = c.get(ROSTER, {"region": world.town_a.pk}).context["filter_form"]
    assert list(form.fields["group"].queryset) == [people["group"]]


def test_clerk_gets_no_township_filter_and_sees_only_its_own(world, people, login):
    r = login(world.clerk_b).get(ROSTER)
    assert "region" not in r.context["filter_form"].fields
    assert names(r) == ["乙镇周八"]
    # A group of another township is no choice (and so ignored).
    assert names(login(world.clerk_b).get(ROSTER, {"group": people["group"].pk})) == ["乙镇周八"]


def test_rows_show_masked_ids_and_serving_mandates(world, people, login):
    birth = datetime.date(1988, 8, 8)
    number = make_id(birth)
    Deputy.objects.filter(pk=people["rows"]["zhangwei"].pk).update(id_number=number, phone="13812345678")
    page = login(world.clerk_a).get(ROSTER, {"q": "张伟"}).content.decode()
    assert number[:4] + "*" * 10 + number[-4:] in page
    assert number not in page and "13812345678" not in page and "138****5678" in page
    assert ">县<" in page and ">乡镇<" in page  # serving at two levels


def test_pagination_keeps_the_filters(world, login):
    _, term = county_terms(world.county)
    for i in range(25):
        seat(DeputyFactory(region=world.town_a, name=f"张{i:02d}", gender="F"), term)
    seat(DeputyFactory(region=world.town_a, name="张男"), term)
    r = login(world.clerk_a).get(ROSTER, {"q": "张", "gender": "F"})
    assert r.context["paginator"].count == 25
    page = r.content.decode()
    assert "?q=%E5%BC%A0&amp;gender=F&page=2" in page
    r2 = login(world.clerk_a).get(ROSTER, {"q": "张", "gender": "F", "page": 2})
    assert len(r2.context["object_list"]) == 5 and "张男" not in names(r2)


def bulk_deputies(township, term, n):
    """`n` deputies with a serving mandate each, inserted in two statements."""
    start = Deputy.objects.count()
    deputies = Deputy.objects.bulk_create(
        Deputy(region=township, name=f"批量代表{start + i}", name_initials="pldb", gender="M", id_number=None)
        for i in range(n)
    )
    Mandate.objects.bulk_create(
        Mandate(deputy=d, region=township, term=term, elected_on=term.start_date) for d in deputies
    )


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a"])
@pytest.mark.parametrize("query", [{}, {"status": "serving", "gender": "M", "q": "pl", "level": "township"}])
def test_query_count_does_not_grow_with_rows(world, login, django_assert_num_queries, persona, query):
    _, term = county_terms(world.county)
    bulk_deputies(world.town_a, term, 10)
    c = login(getattr(world, persona))
    c.get(ROSTER, query)  # settles the session
    with CaptureQueriesContext(connection) as ten:
        r = c.get(ROSTER, query)
    assert r.status_code == 200 and r.context["paginator"].count == 10
    bulk_deputies(world.town_a, term, 190)
    with django_assert_num_queries(len(ten)):
        r = c.get(ROSTER, query)
    assert r.context["paginator"].count == 200 and len(r.context["object_list"]) == 20
    assert all(len(d.serving_mandates) == 1 for d in r.context["object_list"])
