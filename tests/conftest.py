"""Fixed personas (healthchecks' habit): a county with townships A and B, and a user of
every role. Every test that needs "someone" picks one of these."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from org.roles import Role
from tests.factories import PASSWORD, HandlingUnitFactory, RegionFactory, UserFactory, member


@dataclass
class World:
    county: object
    town_a: object
    town_b: object
    village_a: object
    county_admin: object
    clerk_a: object
    clerk_b: object
    deputy_a: object
    unit_a: object
    unit_user_a: object
    auditor: object
    sysadmin: object
    password: str = PASSWORD


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Personas log in with a password; PBKDF2's 1,000,000 rounds would cost ~0.5 s per
    user per test. The hasher itself is Django's, tested upstream."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def session_write_every_request(settings):
    """Production writes the last-activity time at most once a minute; tests that compare
    the query counts of two requests need every request to cost the same."""
    settings.SESSION_ACTIVITY_RESOLUTION = 0


@pytest.fixture
def world(db):
    county = RegionFactory.county(name="测试县")
    town_a = RegionFactory.township(county, name="甲镇")
    town_b = RegionFactory.township(county, name="乙镇")
    village_a = RegionFactory.village(town_a, name="甲村")
    unit_a = HandlingUnitFactory(region=town_a, name="甲镇农业站")
    sysadmin = UserFactory(username="sysadmin", is_staff=True, is_superuser=True)
    member(county, Role.SUPERUSER, user=sysadmin)
    return World(
        county=county,
        town_a=town_a,
        town_b=town_b,
        village_a=village_a,
        county_admin=member(county, Role.COUNTY_ADMIN, username="county"),
        clerk_a=member(town_a, Role.TOWNSHIP_CLERK, username="clerk_a"),
        clerk_b=member(town_b, Role.TOWNSHIP_CLERK, username="clerk_b"),
        deputy_a=member(town_a, Role.DEPUTY, username="deputy_a"),
        unit_a=unit_a,
        unit_user_a=member(town_a, Role.HANDLING_UNIT, handling_unit=unit_a, username="unit_a"),
        auditor=member(county, Role.AUDITOR, username="auditor"),
        sysadmin=sysadmin,
    )


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user (through the real login view
    so axes and the audit log see it)."""

    def do(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return do


@pytest.fixture(scope="module")
def worker(tmp_path_factory, django_db_setup, django_db_blocker):
    """A real Celery worker process for the module's job tests (tests/org/worker.py); its
    tests must commit (django_db(transaction=True)) for the worker to see their rows."""
    from django.test import override_settings

    from tests.org.worker import WorkerProcess

    base = tmp_path_factory.mktemp("jobs")
    media = base / "media"
    media.mkdir()
    with override_settings(MEDIA_ROOT=str(media)):
        proc = WorkerProcess(media_root=media, broker_dir=base / "broker").start()
        try:
            yield proc
        finally:
            proc.stop()
