import pytest

from org.models import Term, chinese_numeral
from tests.factories import TermFactory

pytestmark = pytest.mark.django_db


def test_township_users_read_the_county_terms_above_them_but_not_other_townships(world):
    county_term = TermFactory(region=world.county)
    town_a_term = TermFactory(region=world.town_a)
    assert set(Term.objects.for_user(world.clerk_a)) == {county_term, town_a_term}
    assert set(Term.objects.for_user(world.clerk_b)) == {county_term}
    assert set(Term.objects.for_user(world.county_admin)) == {county_term, town_a_term}
    assert not Term.objects.for_user(world.auditor).exists()
    # Reading the county's term does not let a clerk change it.
    assert not Term.objects.for_user(world.clerk_a, "change").filter(pk=county_term.pk).exists()


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九"), (100, "100")]
)
def test_chinese_numerals(n, text):
    assert chinese_numeral(n) == text
