import pytest

from tests.factories import TermFactory


@pytest.fixture(autouse=True)
def term_numbers_from_the_start():
    """TermFactory numbers terms 20, 21, … across the whole run; tests here read term names
    (第二十届…) and expect them to start low in each test."""
    TermFactory.reset_sequence()
    yield
    TermFactory.reset_sequence()
