"""Star rating 星级评定 (DESIGN.md section 5): thresholds at their edges, the rule, the
self-assessment → submit → review → publish flow through the services and the pages, who
may do which step, the recompute job, the certificate PDF and the Excel list, and scope."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from assessments import selectors_stars, services_stars
from assessments.models import StarRating, StarRatingItem, StarRule
from assessments.services_stars import stars_for
from org.jobs import job_execute
from org.models import AuditEntry, Job
from stations.models import Standard, Station, StationItemState
from stations.services import standards_preload
from tests.factories import PNG_BYTES, StationFactory

YEAR = 2026
S = StarRating.State
MET, PARTLY, NOT = StarRatingItem.State.MET, StarRatingItem.State.PARTLY, StarRatingItem.State.NOT


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def tenyou(world):
    standards_preload(county=world.county, year=YEAR, names=["十有"])
    return Standard.objects.get(region=world.county, year=YEAR, name="十有")


@pytest.fixture
def rule(world, tenyou):
    return services_stars.star_rule_save(
        county=world.county, year=YEAR, standard=tenyou, five=95, four=85, three=75, two=65, one=55,
        user=world.county_admin,
    )  # fmt: skip


@pytest.fixture
def rooms(world):
    return {
        "home_a": StationFactory(region=world.town_a, name="甲镇人大代表之家"),
        "liaison_a": StationFactory(region=world.village_a, kind=Station.Kind.LIAISON, name="甲村代表联络站"),
        "home_b": StationFactory(region=world.town_b, name="乙镇人大代表之家"),
    }


@pytest.fixture
def opened(world, rule, rooms):
    services_stars.star_ratings_open(rule=rule, user=world.county_admin)
    return {k: StarRating.objects.get(station=v, year=YEAR) for k, v in rooms.items()}


def rule_obj(**kw):
    values = {"five": 95, "four": 85, "three": 75, "two": 65, "one": 55, "five_needs_onsite": True, **kw}
    return StarRule(**{k: (Decimal(str(v)) if isinstance(v, (int, float)) and k != "five_needs_onsite" else v)
                       for k, v in values.items()})  # fmt: skip


def items_of(rating):
    return list(rating.items.select_related("item").order_by("item__order"))


def self_assess_all(rating, user, states):
    """states: a list of 10 states in item order."""
    rows = items_of(rating)
    services_stars.star_rating_self_assess(
        rating=rating, states={r.item_id: (s, "") for r, s in zip(rows, states, strict=True)}, user=user
    )


def review_all(rating, user, score_each, onsite=True):
    rows = items_of(rating)
    scores = {r.item_id: (score_each, "") for r in rows}
    return services_stars.star_rating_review(rating=rating, scores=scores, comment="", onsite_checked=onsite, user=user)


def submitted(rating, world, user=None, states=None):
    self_assess_all(rating, user or world.clerk_a, states or [MET] * 10)
    return services_stars.star_rating_submit(rating=rating, user=user or world.clerk_a)


# --- stars_for at its edges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "onsite", "needs", "stars"),
    [
        (95, True, True, 5),
        (95, False, True, 4),
        (95, False, False, 5),
        (100, True, True, 5),
        (Decimal("94.9"), True, True, 4),
        (85, False, True, 4),
        (Decimal("84.9"), True, True, 3),
        (75, True, True, 3),
        (Decimal("74.9"), True, True, 2),
        (65, True, True, 2),
        (Decimal("64.9"), True, True, 1),
        (55, True, True, 1),
        (Decimal("54.9"), True, True, 0),
        (0, True, True, 0),
        (None, True, True, 0),
    ],
)
def test_stars_for_edges(score, onsite, needs, stars):
    assert stars_for(score, rule_obj(five_needs_onsite=needs), onsite) == stars


def test_stars_for_uses_the_rules_own_thresholds():
    custom = rule_obj(five=90, four=80, three=70, two=60, one=50)
    assert [stars_for(s, custom, True) for s in (90, 89.9, 80, 50, 49.9)] == [5, 4, 4, 1, 0]


# --- the rule -------------------------------------------------------------------------------


def test_thresholds_must_strictly_decrease(world, tenyou):
    with pytest.raises(ValidationError) as exc:
        services_stars.star_rule_save(
            county=world.county, year=YEAR, standard=tenyou, five=95, four=85, three=85, two=65, one=70,
            user=world.county_admin,
        )  # fmt: skip
    errors = exc.value.message_dict
    assert "三星分数线（85）必须低于四星分数线（85）" in errors["three"][0]
    assert "一星分数线（70）必须低于二星分数线（65）" in errors["one"][0]
    assert not StarRule.objects.exists()


def test_only_county_staff_save_a_rule(world, tenyou):
    with pytest.raises(PermissionDenied):
        services_stars.star_rule_save(
            county=world.county, year=YEAR, standard=tenyou, five=95, four=85, three=75, two=65, one=55,
            user=world.clerk_a,
        )  # fmt: skip


def test_rule_save_is_an_edit_the_second_time(world, rule, tenyou):
    again = services_stars.star_rule_save(
        county=world.county, year=YEAR, standard=tenyou, five=90, four=80, three=70, two=60, one=50,
        user=world.county_admin,
    )  # fmt: skip
    assert again.pk == rule.pk and again.five == Decimal("90")
    assert StarRule.objects.count() == 1


# --- opening the year ------------------------------------------------------------------------


def test_open_creates_a_draft_per_active_room_prefilled_and_is_idempotent(world, rule, rooms):
    closed = StationFactory(region=world.town_a, name="已撤销之家", active=False, closed_on="2025-01-01")
    first_item = rule.standard.items.order_by("order").first()
    StationItemState.objects.create(station=rooms["home_a"], item=first_item, state=PARTLY, note="面积偏小")
    assert services_stars.star_ratings_open(rule=rule, user=world.county_admin) == 3
    assert services_stars.star_ratings_open(rule=rule, user=world.county_admin) == 0
    assert StarRating.objects.filter(year=YEAR).count() == 3
    assert not StarRating.objects.filter(station=closed).exists()
    rating = StarRating.objects.get(station=rooms["home_a"])
    assert rating.state == S.DRAFT and rating.items.count() == 10
    row = rating.items.get(item=first_item)
    assert (row.self_state, row.self_note) == (PARTLY, "面积偏小")
    assert rating.items.filter(self_state="").count() == 9
    assert StarRatingItem.objects.count() == 30


def test_clerk_cannot_open(world, rule, rooms):
    with pytest.raises(PermissionDenied):
        services_stars.star_ratings_open(rule=rule, user=world.clerk_a)


# --- the flow through the services ------------------------------------------------------------


def test_flow_self_assess_submit_review_publish(world, opened):
    rating = opened["home_a"]
    self_assess_all(rating, world.clerk_a, [MET] * 8 + [PARTLY, NOT])
    services_stars.star_rating_submit(rating=rating, user=world.clerk_a)
    rating.refresh_from_db()
    assert rating.state == S.SUBMITTED and rating.self_score == Decimal("85.0") and rating.submitted_at

    rows = items_of(rating)
    scores = {r.item_id: (10, "") for r in rows}
    scores[rows[-1].item_id] = (Decimal("5.5"), "经费未单列")
    services_stars.star_rating_review(
        rating=rating, scores=scores, comment="整体较好", onsite_checked=False, user=world.county_admin
    )
    rating.refresh_from_db()
    # 95.5 is worth five stars, but without the on-site check it is four.
    assert (rating.state, rating.review_score, rating.stars) == (S.REVIEWED, Decimal("95.5"), 4)
    assert rating.items.get(item=rows[-1].item).review_comment == "经费未单列"
    services_stars.star_rating_review(
        rating=rating, scores=scores, comment="整体较好", onsite_checked=True, user=world.county_admin
    )
    rating.refresh_from_db()
    assert rating.stars == 5 and rating.reviewed_by == world.county_admin

    for key in ("liaison_a", "home_b"):
        other = opened[key]
        clerk = world.clerk_a if key == "liaison_a" else world.clerk_b
        submitted(other, world, user=clerk, states=[NOT] * 10)
        review_all(other, world.county_admin, 5)
    assert services_stars.star_ratings_publish(rule=rating.rule, user=world.county_admin) == 3
    rating.refresh_from_db()
    assert rating.state == S.PUBLISHED and rating.published_at
    assert StarRating.objects.get(pk=opened["home_b"].pk).stars == 0  # 50 < 55: 未评星


def test_submit_needs_every_item_self_assessed(world, opened):
    rating = opened["home_a"]
    rows = items_of(rating)
    services_stars.star_rating_self_assess(rating=rating, states={rows[0].item_id: (MET, "")}, user=world.clerk_a)
    with pytest.raises(ValidationError) as exc:
        services_stars.star_rating_submit(rating=rating, user=world.clerk_a)
    assert "以下项目尚未自评" in exc.value.messages[0] and rows[1].item.title in exc.value.messages[0]
    rating.refresh_from_db()
    assert rating.state == S.DRAFT


def test_clerk_cannot_review(world, opened):
    rating = submitted(opened["home_a"], world)
    with pytest.raises(PermissionDenied):
        review_all(rating, world.clerk_a, 10)
    rating.refresh_from_db()
    assert rating.state == S.SUBMITTED and rating.review_score is None


def test_county_cannot_self_assess_nor_submit(world, opened):
    rating = opened["home_a"]
    rows = items_of(rating)
    with pytest.raises(PermissionDenied):
        services_stars.star_rating_self_assess(
            rating=rating, states={rows[0].item_id: (NOT, "")}, user=world.county_admin
        )
    with pytest.raises(PermissionDenied):
        services_stars.star_rating_submit(rating=rating, user=world.county_admin)


def test_other_township_clerk_cannot_self_assess(world, opened):
    rows = items_of(opened["home_a"])
    with pytest.raises(PermissionDenied):
        services_stars.star_rating_self_assess(
            rating=opened["home_a"], states={rows[0].item_id: (MET, "")}, user=world.clerk_b
        )


def test_self_assessment_closes_once_submitted(world, opened):
    rating = submitted(opened["home_a"], world)
    rows = items_of(rating)
    with pytest.raises(ValidationError) as exc:
        services_stars.star_rating_self_assess(rating=rating, states={rows[0].item_id: (NOT, "")}, user=world.clerk_a)
    assert "已提交自评" in exc.value.messages[0]


def test_review_only_from_submitted_and_scores_within_points(world, opened):
    rating = opened["home_a"]
    with pytest.raises(ValidationError):
        review_all(rating, world.county_admin, 10)  # still a draft
    submitted(rating, world)
    with pytest.raises(ValidationError) as exc:
        review_all(rating, world.county_admin, 11)
    assert "须在 0 到 10 分之间" in exc.value.messages[0]
    rows = items_of(rating)
    with pytest.raises(ValidationError) as exc:
        services_stars.star_rating_review(
            rating=rating, scores={rows[0].item_id: (10, "")}, onsite_checked=True, user=world.county_admin
        )
    assert f"请填写“{rows[1].item.title}”的审核得分" in exc.value.messages[0]


def test_publish_refused_while_one_is_unreviewed_unless_forced(world, opened):
    for key, clerk in (("home_a", world.clerk_a), ("home_b", world.clerk_b)):
        review_all(submitted(opened[key], world, user=clerk), world.county_admin, 9)
    rule = opened["home_a"].rule
    with pytest.raises(ValidationError) as exc:
        services_stars.star_ratings_publish(rule=rule, user=world.county_admin)
    assert "甲村代表联络站" in exc.value.messages[0]
    assert not StarRating.objects.filter(state=S.PUBLISHED).exists()
    with pytest.raises(PermissionDenied):
        services_stars.star_ratings_publish(rule=rule, user=world.clerk_a, force=True)
    assert services_stars.star_ratings_publish(rule=rule, user=world.county_admin, force=True) == 2
    assert StarRating.objects.get(pk=opened["liaison_a"].pk).state == S.DRAFT


def test_changing_thresholds_restars_reviewed_and_freezes_after_publication(world, opened, tenyou):
    rating = review_all(submitted(opened["home_a"], world), world.county_admin, 8)  # 80 → 3★
    assert rating.stars == 3
    services_stars.star_rule_save(
        county=world.county, year=YEAR, standard=tenyou, five=95, four=80, three=70, two=60, one=50,
        user=world.county_admin,
    )  # fmt: skip
    rating.refresh_from_db()
    assert rating.stars == 4
    services_stars.star_ratings_publish(rule=rating.rule, user=world.county_admin, force=True)
    with pytest.raises(ValidationError) as exc:
        services_stars.star_rule_save(
            county=world.county, year=YEAR, standard=tenyou, five=96, four=80, three=70, two=60, one=50,
            user=world.county_admin,
        )  # fmt: skip
    assert "已公布" in exc.value.messages[0]


def test_return_sends_a_submission_back_to_the_township(world, opened):
    rating = submitted(opened["home_a"], world)
    with pytest.raises(ValidationError):
        services_stars.star_rating_return(rating=rating, comment=" ", user=world.county_admin)
    services_stars.star_rating_return(rating=rating, comment="佐证材料不全", user=world.county_admin)
    rating.refresh_from_db()
    assert rating.state == S.DRAFT and rating.review_comment == "佐证材料不全"


# --- the recompute job -------------------------------------------------------------------------


def test_compute_job_is_idempotent_and_repairs_scores(world, opened):
    a = review_all(submitted(opened["home_a"], world, states=[MET] * 9 + [PARTLY]), world.county_admin, 9)
    b = submitted(opened["home_b"], world, user=world.clerk_b, states=[PARTLY] * 10)
    # Someone changed an item behind the services' back: the job puts the totals right.
    StarRatingItem.objects.filter(rating=a, item__order=1).update(review_score=10)
    StarRating.objects.filter(pk=b.pk).update(self_score=0)

    def run():
        job = Job.objects.create(
            kind="star_ratings_compute", region=world.county, requested_by=world.county_admin, params={"year": YEAR}
        )
        job_execute(job_id=job.pk)
        job.refresh_from_db()
        assert job.state == Job.State.DONE, job.message
        return job, {
            r.pk: (r.self_score, r.review_score, r.stars) for r in StarRating.objects.filter(year=YEAR).order_by("pk")
        }

    job, first = run()
    assert first[a.pk] == (Decimal("95.0"), Decimal("91.0"), 4)
    assert first[b.pk] == (Decimal("50.0"), None, None)
    assert "2 个阵地" in job.message
    job2, second = run()
    assert second == first
    assert "0 个阵地" in job2.message
    rows = CalamineWorkbook.from_path(job2.output.path).get_sheet_by_index(0).to_python()
    assert len(rows) == 1 + 3


def test_compute_job_is_county_only(world, opened):
    from org.jobs import JobError, job_create

    with pytest.raises(JobError):
        job_create(kind="star_ratings_compute", region=world.town_a, user=world.clerk_a, params={"year": YEAR})


# --- selectors ---------------------------------------------------------------------------------------


def test_distribution_in_one_query(world, opened, django_assert_num_queries):
    review_all(submitted(opened["home_a"], world), world.county_admin, 10)  # 100 onsite → 5
    review_all(submitted(opened["home_b"], world, user=world.clerk_b), world.county_admin, 5)  # 50 → 0
    ratings = selectors_stars.ratings_for(world.county_admin).filter(year=YEAR)
    with django_assert_num_queries(1):
        dist = {d["stars"]: d["count"] for d in selectors_stars.star_distribution(ratings)}
    assert dist == {5: 1, 4: 0, 3: 0, 2: 0, 1: 0, 0: 1, None: 1}
    clerk_view = {d["stars"]: d["count"] for d in selectors_stars.star_distribution(
        selectors_stars.ratings_for(world.clerk_b))}  # fmt: skip
    assert clerk_view[0] == 1 and clerk_view[5] == 0


def test_station_history_across_years(world, opened, tenyou):
    station = opened["home_a"].station
    old_rule = StarRule.objects.create(region=world.county, year=YEAR - 1, standard=tenyou)
    StarRating.objects.create(station=station, year=YEAR - 1, rule=old_rule, state=S.PUBLISHED, stars=3)
    years = [r.year for r in selectors_stars.station_history(station, world.clerk_a)]
    assert years == [YEAR, YEAR - 1]
    assert list(selectors_stars.station_history(station, world.clerk_b)) == []


# --- the pages ----------------------------------------------------------------------------------


def test_flow_through_the_pages(world, opened, login, rooms):
    rating = opened["home_a"]
    rows = items_of(rating)
    client = login(world.clerk_a)
    detail = reverse("assessments:star-rating-detail", args=[rating.pk])
    page = client.get(detail)
    assert page.status_code == 200 and page.context["self_form"] is not None and page.context["review_form"] is None

    data = {f"state_{r.item_id}": MET for r in rows}
    data[f"state_{rows[0].item_id}"] = PARTLY
    data[f"note_{rows[0].item_id}"] = "面积偏小"
    data[f"evidence_{rows[0].item_id}"] = SimpleUploadedFile("牌子.png", PNG_BYTES, content_type="image/png")
    data["submit"] = "1"
    response = client.post(reverse("assessments:star-rating-self-assess", args=[rating.pk]), data)
    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.state == S.SUBMITTED and rating.self_score == Decimal("95.0")
    first = rating.items.get(item=rows[0].item)
    assert first.self_note == "面积偏小" and first.evidence_type == "image/png"
    evidence = client.get(reverse("assessments:star-rating-evidence", args=[first.pk]))
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content) == PNG_BYTES

    # The clerk cannot review its own room.
    review_url = reverse("assessments:star-rating-review", args=[rating.pk])
    scores = {f"score_{r.item_id}": "10" for r in rows}
    assert client.post(review_url, {**scores, "onsite_checked": "on"}).status_code == 403
    rating.refresh_from_db()
    assert rating.state == S.SUBMITTED

    county = login(world.county_admin)
    page = county.get(detail)
    assert page.context["review_form"] is not None and page.context["self_form"] is None
    bad = county.post(review_url, {**scores, f"score_{rows[1].item_id}": "12"})
    assert bad.status_code == 400 and "不能超过该项分值 10 分" in bad.content.decode()
    response = county.post(review_url, {**scores, "comment": "材料齐全", "onsite_checked": "on"})
    assert response.status_code == 302
    rating.refresh_from_db()
    assert (rating.state, rating.stars, rating.review_comment) == (S.REVIEWED, 5, "材料齐全")

    rule_url = reverse("assessments:star-rule")
    response = county.post(rule_url, {"county": world.county.pk, "year": YEAR, "action": "publish"}, follow=True)
    assert "尚有阵地未完成审核" in response.content.decode()
    assert StarRating.objects.get(pk=rating.pk).state == S.REVIEWED  # others not reviewed yet
    response = county.post(
        rule_url, {"county": world.county.pk, "year": YEAR, "action": "publish", "force": "on"}, follow=True
    )
    assert "已公布 1 个阵地" in response.content.decode()
    assert StarRating.objects.get(pk=rating.pk).state == S.PUBLISHED

    listing = county.get(reverse("assessments:star-rating-list"), {"year": YEAR, "stars": "5"})
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "甲镇人大代表之家" in text and "乙镇人大代表之家" not in text and "★★★★★" in text


def test_county_cannot_self_assess_through_the_page(world, opened, login):
    rating = opened["home_a"]
    rows = items_of(rating)
    county = login(world.county_admin)
    assert county.get(reverse("assessments:star-rating-detail", args=[rating.pk])).context["self_form"] is None
    response = county.post(
        reverse("assessments:star-rating-self-assess", args=[rating.pk]), {f"state_{rows[0].item_id}": NOT}
    )
    assert response.status_code == 403
    assert rating.items.get(item=rows[0].item).self_state == ""


def test_submit_page_names_missing_items(world, opened, login):
    rating = opened["home_a"]
    client = login(world.clerk_a)
    response = client.post(reverse("assessments:star-rating-submit", args=[rating.pk]), follow=True)
    assert "以下项目尚未自评" in response.content.decode()
    rating.refresh_from_db()
    assert rating.state == S.DRAFT


def test_rule_page_saves_and_shows_chinese_errors(world, tenyou, rooms, login):
    county = login(world.county_admin)
    url = reverse("assessments:star-rule")
    data = {"county": world.county.pk, "year": YEAR, "action": "save", "standard": tenyou.pk,
            "five": "95", "four": "96", "three": "75", "two": "65", "one": "55", "five_needs_onsite": "on"}  # fmt: skip
    bad = county.post(url, data)
    assert bad.status_code == 400 and "四星分数线（96）必须低于五星分数线（95）" in bad.content.decode()
    assert county.post(url, {**data, "four": "85"}).status_code == 302
    rule = StarRule.objects.get(region=world.county, year=YEAR)
    county.post(url, {"county": world.county.pk, "year": YEAR, "action": "open"})
    assert rule.ratings.count() == 3
    # A clerk reads the rules but has no form, and cannot post.
    clerk = login(world.clerk_a)
    page = clerk.get(url)
    assert page.status_code == 200 and page.context["form"] is None and str(rule) in page.content.decode()
    assert clerk.post(url, {**data, "five": "99"}).status_code == 404


def test_clerk_list_shows_own_rooms_only(world, opened, login):
    text = login(world.clerk_a).get(reverse("assessments:star-rating-list")).content.decode()
    assert "甲镇人大代表之家" in text and "甲村代表联络站" in text and "乙镇人大代表之家" not in text


def test_list_pages_in_constant_queries(world, opened, login, django_assert_max_num_queries):
    client = login(world.county_admin)
    url = reverse("assessments:star-rating-list")
    client.get(url)
    for i in range(5):
        StationFactory(region=world.town_b, name=f"乙村联络站{i}")
    services_stars.star_ratings_open(rule=opened["home_a"].rule, user=world.county_admin)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


# --- certificate and Excel -----------------------------------------------------------------------


def test_certificate_pdf_has_cjk_font_and_room_name(world, opened, login, tmp_path):
    rating = review_all(submitted(opened["home_a"], world), world.county_admin, 9)  # 90 → 4★
    client = login(world.clerk_a)
    url = reverse("assessments:star-certificate-pdf", args=[rating.pk])
    early = client.get(url)
    assert early.status_code == 302  # not published yet
    services_stars.star_ratings_publish(rule=rating.rule, user=world.county_admin, force=True)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "cert.pdf"
    path.write_bytes(response.content)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                                             text=True).stdout)  # fmt: skip
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert "甲镇人大代表之家" in text and "2026年度" in text and "★★★★" in text and "★★★★★" not in text
    assert "四星级人大代表之家" in text and "测试县" in text
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?(Sans|Serif)-?CJK", line)]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, object_id=str(rating.pk)).exists()


def test_xlsx_one_row_per_rating_in_scope(world, opened, login, tmp_path):
    review_all(submitted(opened["home_a"], world), world.county_admin, 10)
    url = reverse("assessments:star-ratings-xlsx")

    def rows_for(user, **params):
        response = login(user).get(url, params)
        assert response.status_code == 200
        path = tmp_path / f"{user.username}.xlsx"
        path.write_bytes(b"".join(response.streaming_content))
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()

    county_rows = rows_for(world.county_admin)
    assert county_rows[0][:3] == ["序号", "乡镇", "阵地名称"]
    assert len(county_rows) == 1 + 3
    names = [r[2] for r in county_rows[1:]]
    assert sorted(names) == sorted(["甲镇人大代表之家", "甲村代表联络站", "乙镇人大代表之家"])
    top = next(r for r in county_rows if r[2] == "甲镇人大代表之家")
    assert top[9] == "★★★★★"
    b_rows = rows_for(world.clerk_b)
    assert [r[2] for r in b_rows[1:]] == ["乙镇人大代表之家"]
    assert len(rows_for(world.county_admin, stars="5")) == 2
    notes = [e.changes["note"]["new"] for e in AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)]
    assert "导出2026年度星级评定结果（Excel），共 3 行" in notes


# --- scope ----------------------------------------------------------------------------------------


def test_clerk_b_gets_404_on_every_pk_url(world, opened, login):
    rating = submitted(opened["home_a"], world)
    row = rating.items.first()
    client = login(world.clerk_b)
    for name in ("star-rating-detail", "star-certificate-pdf"):
        assert client.get(reverse(f"assessments:{name}", args=[rating.pk])).status_code == 404, name
    for name in ("star-rating-self-assess", "star-rating-submit", "star-rating-review"):
        url = reverse(f"assessments:{name}", args=[rating.pk])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code == 404, name
    assert client.get(reverse("assessments:star-rating-evidence", args=[row.pk])).status_code == 404
    rating.refresh_from_db()
    assert rating.state == S.SUBMITTED


# --- dashboard and sidebar ------------------------------------------------------------------------


def test_dashboard_panel_and_sidebar(world, opened, login, settings):
    submitted(opened["home_a"], world)
    county = login(world.county_admin).get(reverse("home")).content.decode()
    list_url = reverse("assessments:star-rating-list")
    assert f'href="{list_url}"' in county and "星级评定" in county
    assert "待您处理的评定" in county and opened["home_a"].get_absolute_url() in county  # waits for review
    clerk_b = login(world.clerk_b).get(reverse("home")).content.decode()
    assert opened["home_b"].get_absolute_url() in clerk_b  # a draft waits for its self-assessment
    assert opened["home_a"].get_absolute_url() not in clerk_b
