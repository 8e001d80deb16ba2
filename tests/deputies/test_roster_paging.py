"""The roster's seek (keyset) pagination (deputies/selectors_roster.py): walking 下一页 or
上一页 shows every deputy exactly once in roster order, with the filters kept; a page typed
by hand and 末页 land on the same rows as walking there; rows added between two clicks
are neither repeated nor skipped; a cursor never widens a user's scope; and every kind of
page costs the same queries, whatever the number of rows."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deputies import selectors_roster
from deputies.models import Deputy
from deputies.selectors_roster import decode_cursor, encode_cursor
from org.models import Region

pytestmark = pytest.mark.django_db
ROSTER = reverse("deputies:deputy-list")
PER_PAGE = 20


def make_deputies(township, n, *, gender="M", prefix="代表"):
    """`n` deputies in one insert; every third shares a name, so the id breaks the tie."""
    return Deputy.objects.bulk_create(
        Deputy(region=township, name=f"{prefix}{i // 3:02d}", name_initials="db", gender=gender) for i in range(n)
    )


def link(response, rel):
    """The href of the page's 下一页 (rel=next) or 上一页 (rel=prev) link, or None."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def pks(response):
    return [d.pk for d in response.context["object_list"]]


def walk(client, start_url, rel):
    """Follow `rel` links from `start_url`; the pages' ids and page numbers, in walk order."""
    pages, url = [], start_url
    while url:
        r = client.get(url if url.startswith("/") else ROSTER + url)
        assert r.status_code == 200
        pages.append((r.context["page_obj"].number, pks(r)))
        url = link(r, rel)
        assert len(pages) < 50, "the walk does not end"
    return pages


@pytest.fixture
def roster(world):
    """47 deputies in township A (ties in names), 25 in B; 8 women in A."""
    make_deputies(world.town_a, 39)
    make_deputies(world.town_a, 8, gender="F", prefix="女代表")
    make_deputies(world.town_b, 25, prefix="乙")


def expected_order(**filters):
    return list(Deputy.objects.filter(**filters).order_by("region__code", "name", "pk").values_list("pk", flat=True))


def test_walking_next_shows_every_row_once_in_roster_order(world, roster, login):
    pages = walk(login(world.county_admin), ROSTER, "next")
    assert [number for number, _ in pages] == [1, 2, 3, 4]
    assert [len(ids) for _, ids in pages] == [20, 20, 20, 12]
    assert [pk for _, ids in pages for pk in ids] == expected_order()


def test_walking_back_from_the_last_page_gives_the_same_pages(world, roster, login):
    c = login(world.county_admin)
    forward = walk(c, ROSTER, "next")
    backward = walk(c, ROSTER + "?page=last", "prev")
    assert backward == forward[::-1]


def test_a_page_typed_by_hand_is_the_page_walked_to(world, roster, login):
    c = login(world.county_admin)
    forward = dict(walk(c, ROSTER, "next"))
    for number in (1, 2, 3, 4):
        assert pks(c.get(ROSTER, {"page": number})) == forward[number]
    assert pks(c.get(ROSTER, {"page": 999})) == forward[4]  # past the end: the last page
    assert pks(c.get(ROSTER, {"page": "x"})) == forward[1]


def test_filters_are_kept_across_pages(world, roster, login):
    c = login(world.clerk_a)
    women = walk(c, ROSTER + "?gender=F", "next")
    assert [pk for _, ids in women for pk in ids] == expected_order(gender="F")
    by_name = walk(c, ROSTER + "?q=%E4%BB%A3%E8%A1%A8", "next")  # q=代表
    assert [pk for _, ids in by_name for pk in ids] == expected_order(region=world.town_a, name__contains="代表")
    assert len(by_name) == 3  # 47 deputies of A carry 代表 in their name


def test_rows_added_between_clicks_are_neither_repeated_nor_skipped(world, roster, login):
    c = login(world.clerk_a)
    first = c.get(ROSTER)
    seen = pks(first)
    # Someone registers deputies that sort before and after the page boundary.
    Deputy.objects.bulk_create(
        [Deputy(region=world.town_a, name=name, gender="M") for name in ("丁一", "代表00", "代表99")]
    )
    second = c.get(ROSTER + link(first, "next"))
    assert not set(seen) & set(pks(second))
    order = expected_order(region=world.town_a)
    assert pks(second) == order[order.index(seen[-1]) + 1 :][:PER_PAGE]


def test_a_cursor_never_widens_the_scope(world, roster, login):
    c = login(world.county_admin)
    cursor_in_a = link(c.get(ROSTER), "next")
    r = login(world.clerk_b).get(ROSTER + cursor_in_a)
    assert r.status_code == 200
    assert set(Deputy.objects.filter(pk__in=pks(r)).values_list("region", flat=True)) <= {world.town_b.pk}


@pytest.mark.parametrize("token", ["", "garbage", "e30", "WyJhIiwiYiIsdHJ1ZV0", "x" * 1000])
def test_a_broken_cursor_shows_the_first_page(world, roster, login, token):
    c = login(world.clerk_a)
    r = c.get(ROSTER, {"after": token})
    assert r.status_code == 200 and pks(r) == pks(c.get(ROSTER))


def test_cursor_round_trip():
    deputy = Deputy(pk=42, name="张伟", region=Region(code="130599100000"))
    assert decode_cursor(encode_cursor(deputy)) == ("130599100000", "张伟", 42)
    assert decode_cursor("WyJhIiwiYiIsdHJ1ZV0") is None  # ["a","b",true]: an id must be a number


def test_export_link_and_filters_carry_no_page_position(world, roster, login):
    c = login(world.clerk_a)
    r = c.get(ROSTER + link(c.get(ROSTER, {"gender": "M"}), "next"))
    assert r.context["query"] == "gender=M"
    assert "after=" not in (re.search(r'id="roster-export" href="([^"]*)"', r.content.decode()) or [""])[0]


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a"])
def test_every_kind_of_page_costs_the_same_queries_whatever_the_rows(world, login, persona):
    c = login(getattr(world, persona))
    c.get(ROSTER)  # settles the session

    def costs():
        out = {}
        first = c.get(ROSTER)
        urls = {
            "first": ROSTER,
            "next": ROSTER + link(first, "next"),
            "typed": ROSTER + "?page=2",
            "last": ROSTER + "?page=last",
        }
        urls["prev"] = ROSTER + link(c.get(urls["last"]), "prev")
        for kind, url in urls.items():
            with CaptureQueriesContext(connection) as queries:
                r = c.get(url)
            assert r.status_code == 200 and len(r.context["object_list"]) > 0
            out[kind] = len(queries)
        return out

    make_deputies(world.town_a, 45)
    few = costs()
    make_deputies(world.town_a, 300, prefix="多")
    many = costs()
    assert few == many
    # A deep page costs what the first does; a typed page number one grouped count more.
    assert few["next"] == few["prev"] == few["last"] == few["first"] == few["typed"] - 1, few
    assert few["typed"] <= 20


def test_above_the_exact_limit_the_count_is_an_estimate_marked_as_such(world, roster, login, monkeypatch):
    monkeypatch.setattr(selectors_roster, "EXACT_UP_TO", 30)
    c = login(world.county_admin)
    r = c.get(ROSTER)
    paginator = r.context["paginator"]
    if connection.vendor == "postgresql":
        # The planner's figure, said to be one: 共约 N 名.
        assert paginator.estimated and paginator.count > 30 and "共约" in r.content.decode()
    else:  # no planner estimate on SQLite: counted in full
        assert not paginator.estimated and paginator.count == 72 and "共约" not in r.content.decode()
    # Paging does not rest on the count: every row once, and the last page is the last rows.
    pages = walk(c, ROSTER, "next")
    assert [pk for _, ids in pages for pk in ids] == expected_order()
    last = pks(c.get(ROSTER, {"page": "last"}))
    assert last and last == expected_order()[-len(last) :]


def test_the_filter_bar_offers_the_same_choices_as_the_form(world, login):
    """The roster draws the township and term filters from plain values (views.
    light_filter_widgets): the same options, labels and selection as the form's fields."""
    from deputies.filters import DeputyFilterForm
    from deputies.selectors import term_label
    from tests.deputies.test_models import county_terms

    county_terms(world.county)
    c = login(world.county_admin)
    page = c.get(ROSTER, {"region": world.town_b.pk}).content.decode()
    form = DeputyFilterForm(user=world.county_admin)
    for term in form.fields["term"].queryset:
        assert f'<option value="{term.pk}">{html.escape(term_label(term))}</option>' in page
    assert f'<option value="{world.town_b.pk}" selected>乙镇</option>' in page
    assert f'<option value="{world.town_a.pk}">甲镇</option>' in page
    assert 'class="select form-select"' in page and 'class="textinput form-control"' in page


def test_a_typed_page_inside_a_later_township_starts_at_the_right_row(world, roster, login):
    """Page 4 of 甲 47 · 乙 25 · 丙 30 begins 13 rows into 乙: found through the counts per
    township, not an OFFSET over them all."""
    from tests.factories import RegionFactory

    make_deputies(RegionFactory.township(world.county, name="丙镇"), 30, prefix="丙")
    c = login(world.county_admin)
    order = expected_order()
    for number in (2, 3, 4, 5, 6):
        assert pks(c.get(ROSTER, {"page": number})) == order[(number - 1) * PER_PAGE : number * PER_PAGE]
