import pytest

pytestmark = pytest.mark.django_db


def test_home_for_clerk(world, login):
    c = login(world.clerk_a)
    r = c.get("/")
    assert r.status_code == 200
    assert "甲镇" in r.content.decode()
