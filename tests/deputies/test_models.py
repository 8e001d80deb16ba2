"""The registry's model rules: the ID number, birth date and gender agree; democratic
party; pinyin initials; one serving mandate per deputy, level and term (a database
constraint); and by-elections that keep the history.

The helpers at the top are shared by the other tests of deputies/."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deputies import services
from deputies.models import Deputy, Mandate, name_initials
from org.validators import id_checksum
from tests.factories import DeputyFactory, MandateFactory, TermFactory

pytestmark = pytest.mark.django_db


# --- shared helpers ----------------------------------------------------------------------


def make_id(birth: datetime.date, *, male: bool = True, serial: int = 12, area: str = "130599") -> str:
    """A valid 18-digit ID number for a birth date and sex (the 17th digit is odd for men)."""
    sex_digit = (1 if male else 2) + 2 * (serial % 4)
    first17 = f"{area}{birth:%Y%m%d}{serial % 100:02d}{sex_digit}"
    return first17 + id_checksum(first17)


def county_terms(county):
    """The 19th (2016–2021) and 20th (2021–2026) township terms, defined on the county."""
    previous = TermFactory(
        region=county, number=19, start_date=datetime.date(2016, 12, 1), end_date=datetime.date(2021, 11, 30)
    )
    current = TermFactory(
        region=county, number=20, start_date=datetime.date(2021, 12, 1), end_date=datetime.date(2026, 12, 31)
    )
    return previous, current


def seat(deputy, term, **kw) -> Mandate:
    """A serving township mandate of `deputy` in `term`."""
    kw.setdefault("elected_on", term.start_date)
    return MandateFactory(deputy=deputy, region=deputy.region, term=term, level=Mandate.Level.TOWNSHIP, **kw)


# --- the ID number ----------------------------------------------------------------------


def test_make_id_gives_valid_numbers():
    number = make_id(datetime.date(1980, 1, 2), male=False)
    assert len(number) == 18 and int(number[16]) % 2 == 0


def test_valid_record_passes_full_clean(world):
    birth = datetime.date(1980, 5, 17)
    deputy = Deputy(region=world.town_a, name="张伟", gender="M", birth_date=birth, id_number=make_id(birth))
    deputy.full_clean()


def test_id_checksum_is_checked(world):
    number = make_id(datetime.date(1980, 5, 17))
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    deputy = Deputy(region=world.town_a, name="张伟", gender="M", id_number=wrong)
    with pytest.raises(ValidationError) as err:
        deputy.full_clean()
    assert "校验码" in str(err.value.message_dict["id_number"])


def test_id_length_is_checked(world):
    deputy = Deputy(region=world.town_a, name="张伟", gender="M", id_number="13059919800517")
    with pytest.raises(ValidationError) as err:
        deputy.full_clean()
    assert "18位" in str(err.value.message_dict["id_number"])


def test_birth_date_and_gender_must_match_the_id(world):
    number = make_id(datetime.date(1980, 5, 17), male=True)
    deputy = Deputy(
        region=world.town_a, name="李娜", gender="F", birth_date=datetime.date(1981, 5, 17), id_number=number
    )
    with pytest.raises(ValidationError) as err:
        deputy.full_clean()
    assert set(err.value.message_dict) == {"birth_date", "gender"}
    assert "1980-05-17" in err.value.message_dict["birth_date"][0]


def test_democratic_party_rule(world):
    deputy = Deputy(region=world.town_a, name="王芳", gender="F", party=Deputy.Party.DEMOCRATIC)
    with pytest.raises(ValidationError) as err:
        deputy.full_clean()
    assert "democratic_party" in err.value.message_dict
    deputy.democratic_party = "民盟"
    deputy.full_clean()
    deputy.party = Deputy.Party.CPC
    with pytest.raises(ValidationError):
        deputy.full_clean()


def test_pinyin_initials_are_kept_on_save(world):
    assert name_initials("张伟") == "zw"
    deputy = DeputyFactory(region=world.town_a, name="欧阳明")
    assert deputy.name_initials == "oym"


# --- mandates ---------------------------------------------------------------------------


def test_one_serving_mandate_per_level_and_term_is_a_db_constraint(world):
    term = TermFactory(region=world.county, number=20)
    deputy = DeputyFactory(region=world.town_a)
    seat(deputy, term)
    with pytest.raises(IntegrityError), transaction.atomic():
        seat(deputy, term)
    # An ended mandate beside a serving one is history, not a conflict.
    seat(deputy, term, status=Mandate.Status.RESIGNED, ended_on=datetime.date(2022, 1, 1))
    # Another level in the same term is another seat.
    MandateFactory(deputy=deputy, region=world.county, term=term, level=Mandate.Level.COUNTY)
    assert deputy.mandates.count() == 3


def test_by_election_keeps_history_for_the_same_deputy(world):
    _, term = county_terms(world.county)
    deputy = DeputyFactory(region=world.town_a)
    first = seat(deputy, term)
    services.mandate_end(mandate=first, status=Mandate.Status.TRANSFERRED, ended_on=datetime.date(2023, 3, 1))
    again = services.mandate_by_elect(deputy=deputy, term=term, elected_on=datetime.date(2024, 6, 1))
    first.refresh_from_db()
    assert first.status == Mandate.Status.TRANSFERRED and first.ended_on == datetime.date(2023, 3, 1)
    assert not first.by_election
    assert again.status == Mandate.Status.SERVING and again.by_election
    assert again.level == Mandate.Level.TOWNSHIP and again.region == world.town_a
    assert list(deputy.mandates.order_by("elected_on")) == [first, again]


def test_by_election_of_a_new_deputy_fills_a_vacancy(world):
    _, term = county_terms(world.county)
    leaving = DeputyFactory(region=world.town_a)
    old = seat(leaving, term)
    services.mandate_end(mandate=old, status=Mandate.Status.RESIGNED, ended_on=datetime.date(2023, 3, 1))
    birth = datetime.date(1985, 2, 3)
    newcomer = services.deputy_create(
        term=term,
        elected_on=datetime.date(2023, 6, 1),
        by_election=True,
        region=world.town_a,
        name="补选新人",
        gender="F",
        birth_date=birth,
        id_number=make_id(birth, male=False),
    )
    old.refresh_from_db()
    assert old.status == Mandate.Status.RESIGNED
    new = newcomer.mandates.get()
    assert new.by_election and new.status == Mandate.Status.SERVING and new.elected_on == datetime.date(2023, 6, 1)
    assert Mandate.objects.filter(term=term).count() == 2
