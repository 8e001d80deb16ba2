"""Faults of Redis: the cache and the broker's server stops, then comes back.

With Redis down, pages still answer (login, the dashboards, the roster, the public voter page
with its rate limit still counting); starting a job says in Chinese that the job service is
unavailable and the job's row says failed with that reason, with no file; once Redis is back,
the cache uses it again and a new job runs to done on the same worker.

The cache and the broker are pointed at a redis-server this module starts and kills itself
(never the machine's shared one), on the SQLite run as on the PostgreSQL one: the settings'
cache is swapped for the production backend (org.cache) on our server, and the Celery app and
the worker get our server as their broker.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

import tests.org.jobkinds  # noqa: F401  (registers the test job kinds here too)
from org import cache as org_cache
from org.jobs import job_create
from org.models import Job
from stations.models import Station, VoterIssue
from stations.services_public import SUBMIT_LIMITS, form_stamp_new
from tests.factories import StationFactory
from tests.ops.services import REDIS_SERVER, RedisServer, fails_if_hung, files_under, start_worker, wait_until
from tests.org.worker import REDIS_TRANSPORT_OPTIONS, app, reset_producer

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed: no Redis of our own to stop"),
]

CACHE_DB, BROKER_DB = 1, 0
UNAVAILABLE = "后台任务服务暂时不可用（无法连接消息队列），任务未能提交，请稍后重试。"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def redis_up(server):
    """Our server running (a test before may have left it stopped)."""
    if not server.running:
        server.start()
    return server


@pytest.fixture
def redis_cache(redis_up, settings, monkeypatch):
    """The production cache backend on our server; Redis retried at once after a failure, so
    the test need not wait out the back-off."""
    settings.CACHES = {
        "default": {
            "BACKEND": "org.cache.ResilientRedisCache",
            "LOCATION": redis_up.url(CACHE_DB),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    monkeypatch.setattr(org_cache, "RETRY_AFTER", 0)
    cache.clear()  # rate-limit counts of a test before, in Redis or in the memory stand-in
    yield redis.Redis(port=redis_up.port, db=CACHE_DB)
    cache.clear()
    cache.close()


def opinion_station(world):
    return StationFactory(kind=Station.Kind.LIAISON, region=world.village_a, name="甲村代表联络站")


def post_opinion(client, station):
    # A stamp as the form gives it, ten seconds old: a voter, not a script.
    data = {
        "content": "村口路灯坏了一个多月，晚上出行不便。",
        "stamp": form_stamp_new(station=station, at=time.time() - 10),
    }
    return client.post(reverse("public:opinion", args=[station.public_code]), data, REMOTE_ADDR="10.1.1.1")


def test_pages_work_with_redis_down_and_the_cache_returns_with_it(redis_cache, redis_up, world, client, caplog):
    station = opinion_station(world)
    cache.set("probe", "在")
    assert redis_cache.exists(":1:probe")  # the cache really is our Redis

    redis_up.stop()
    caplog.set_level(logging.WARNING, logger="org.cache")

    response = client.post(reverse("login"), {"username": world.clerk_a.username, "password": world.password})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("deputies:deputy-list")).status_code == 200
    client.force_login(world.county_admin)
    assert client.get(reverse("assessments:dashboard")).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    client.logout()

    # The public page, and its rate limit, counted in memory while Redis is away.
    assert client.get(reverse("public:opinion", args=[station.public_code])).status_code == 200
    hourly = dict(SUBMIT_LIMITS)[3600]
    for _ in range(hourly):
        assert post_opinion(client, station).status_code == 302
    refused = post_opinion(client, station)
    assert refused.status_code == 429 and "提交太频繁了" in refused.content.decode()
    assert VoterIssue.objects.count() == hourly

    warnings = [r for r in caplog.records if r.name == "org.cache" and "unreachable" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]

    redis_up.start()  # empty: no persistence
    cache.set("probe", "回来了")
    assert redis_cache.dbsize() == 1  # written to Redis again, not to the memory stand-in
    assert cache.get("probe") == "回来了"
    assert any("reachable again" in r.getMessage() for r in caplog.records if r.name == "org.cache")


@pytest.fixture
def worker(redis_up, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    proc = start_worker(tmp_path, broker_url=redis_up.url(BROKER_DB))
    try:
        yield proc
    finally:
        proc.stop()


def test_job_with_redis_down_fails_saying_so_and_a_new_one_runs_once_it_is_back(worker, redis_up, world, login):
    media = Path(worker.media_root)
    client = login(world.clerk_a)

    redis_up.stop()
    response = client.post(reverse("org:job-create"), {"kind": "test_slow"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert UNAVAILABLE in page and "已提交" not in page  # told at once, not "submitted"
    job = Job.objects.get()
    assert job.state == Job.State.FAILED and job.message == UNAVAILABLE
    assert job.requested_by == world.clerk_a and not job.output
    assert files_under(media) == []
    # Nothing is lost: the row stays in the user's list, saying why.
    row = client.get(reverse("org:job-row", args=[job.pk])).content.decode()
    assert "失败" in row and UNAVAILABLE in row

    redis_up.start()
    again = job_create(kind="test_slow", region=world.town_a, user=world.clerk_a, params={"steps": 2, "delay": 0.05})

    def finished():
        again.refresh_from_db()
        return again.is_finished

    try:
        wait_until(finished, 90, "the job queued after Redis came back")
    except AssertionError as exc:
        keys = redis.Redis(port=redis_up.port, db=BROKER_DB).keys("*")
        raise AssertionError(f"{exc}; job {again.state}; broker keys {keys}\n{worker.log()[-4000:]}") from None
    assert again.state == Job.State.DONE, (again.message, worker.log()[-3000:])
    assert [p.name for p in files_under(media)] == [Path(again.output.name).name]


@pytest.fixture
def broker_on_ours(redis_up, settings):
    """This process's producer pointed at our server (nothing needs to consume here)."""
    keys = ("broker_url", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    app.conf.broker_url = redis_up.url(BROKER_DB)
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        app.conf.broker_transport_options = REDIS_TRANSPORT_OPTIONS
    reset_producer()
    yield
    for key, value in saved.items():
        app.conf[key] = value
    reset_producer()


def test_hung_redis_costs_seconds_not_a_hung_page(redis_cache, broker_on_ours, redis_up, world, client, monkeypatch):
    """A Redis that accepts connections and never answers (SIGSTOP): the socket timeouts turn
    it into the same outcome as a stopped one instead of a request blocked for good."""
    monkeypatch.setattr(org_cache, "RETRY_AFTER", 5.0)  # as in production: one timeout, then memory
    station = opinion_station(world)
    redis_up.pause()
    try:
        with fails_if_hung(60, "pages and a job start with Redis hung"):
            assert client.get(reverse("public:opinion", args=[station.public_code])).status_code == 200
            assert post_opinion(client, station).status_code == 302
            client.force_login(world.clerk_a)
            response = client.post(reverse("org:job-create"), {"kind": "test_slow"}, follow=True)
    finally:
        redis_up.resume()
    assert UNAVAILABLE in response.content.decode()
    job = Job.objects.get()
    assert job.state == Job.State.FAILED and job.message == UNAVAILABLE
