"""Faults of the job machinery: the worker killed in the middle of a job.

A slow test job is reporting progress and has half its file written when the worker is
SIGKILLed: only its pool child (the worker's main process sees it lost and fails the job), or
the whole process group (nothing is left to tell; the stale-job reaper settles it). Either way
the job ends failed with a Chinese message, never "running" for good, and no half-written file
stays under MEDIA_ROOT. A redelivered message of such a job runs it again to done, or, once
the job was declared failed, leaves it failed.

The worker runs on the broker the settings name: the folder broker on the SQLite run; on the
PostgreSQL + Redis run, a redis-server this module starts for itself (never the shared one).
"""

from __future__ import annotations

import datetime
import os
import signal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

import tests.org.jobkinds  # noqa: F401  (registers the test job kinds here too)
from org.jobs import job_create, job_execute, jobs_reap_stale
from org.models import Job
from tests.ops.services import (
    REDIS_SERVER,
    RedisServer,
    files_under,
    kill_worker_group,
    pool_child_pids,
    start_worker,
    wait_until,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SLOW = {"steps": 60, "delay": 0.25}  # 15 s: far longer than the test needs to kill it


@pytest.fixture(scope="module")
def broker_url(tmp_path_factory):
    """None (the settings' folder broker) on the embedded default; with Redis in the settings,
    a redis-server of this module's own."""
    if django_settings.CELERY_BROKER_URL.startswith("filesystem://"):
        yield None
        return
    if REDIS_SERVER is None:
        pytest.skip("the settings name Redis but redis-server is not installed to start one of our own")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture
def base(tmp_path, settings):
    # The worker and this process must agree on MEDIA_ROOT: the reaper cleans up from here.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


@pytest.fixture
def worker(base, broker_url):
    proc = start_worker(base, broker_url)
    try:
        yield proc
    finally:
        proc.stop()


def tmp_files(media: Path, job: Job) -> list[Path]:
    return sorted((media / "jobs" / "tmp").glob(f"job{job.pk}-*"))


def start_slow_job(world, media: Path) -> Job:
    """Queue the slow job and wait until it is running with progress and half a file."""
    job = job_create(kind="test_slow", region=world.town_a, user=world.clerk_a, params=SLOW)

    def midway():
        job.refresh_from_db()
        return job.state == Job.State.RUNNING and job.progress > 0 and tmp_files(media, job)

    wait_until(midway, 60, f"job {job.pk} running with progress")
    return job


def wait_finished(job: Job, timeout: float = 30) -> Job:
    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout, f"job {job.pk} to end")
    return job


def test_pool_child_killed_mid_job_fails_it_with_no_file_and_the_worker_goes_on(worker, world):
    media = Path(worker.media_root)
    job = start_slow_job(world, media)
    assert tmp_files(media, job), "the job should have half a file by now"

    children = pool_child_pids(worker)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)

    wait_finished(job)
    assert job.state == Job.State.FAILED, worker.log()[-3000:]
    assert job.message == "任务中断（处理进程意外退出或超时），请重新提交。"
    assert not job.output and job.finished_at
    assert files_under(media) == []

    # The main process started a new pool child: the next job runs to done.
    again = job_create(kind="test_slow", region=world.town_a, user=world.clerk_a, params={"steps": 2, "delay": 0.05})
    wait_finished(again, 60)
    assert again.state == Job.State.DONE, (again.message, worker.log()[-3000:])
    assert [p.name for p in files_under(media)] == [Path(again.output.name).name]


def test_whole_worker_killed_mid_job_is_reaped_failed_with_no_file(worker, world, settings):
    media = Path(worker.media_root)
    job = start_slow_job(world, media)

    kill_worker_group(worker)
    job.refresh_from_db()
    # Nobody is left to say so: the row still claims to run, and half a file is on disk.
    assert job.state == Job.State.RUNNING and tmp_files(media, job)

    # The reaper (beat, every 10 minutes, 30 minutes without progress) with a threshold the
    # test can wait for.
    settings.JOB_STALE_AFTER = datetime.timedelta(0)
    assert jobs_reap_stale() == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.message == "任务中断（处理进程意外退出），请重新提交。"
    assert not job.output and job.finished_at
    assert files_under(media) == []

    # Its message may still be delivered (late acknowledgement): the failed job stays failed.
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and files_under(media) == []


@pytest.mark.django_db  # in this process only: no worker, no need to commit
def test_redelivered_job_of_a_dead_worker_runs_again_to_done(world, base):
    """What a worker does with the message of a job whose earlier worker died before the
    reaper came: it runs it from the start, drops the dead run's half file, keeps one file."""
    media = base / "media"
    job = Job.objects.create(
        kind="test_slow", region=world.town_a, requested_by=world.clerk_a, params={"steps": 2, "delay": 0},
        state=Job.State.RUNNING, progress=40,
    )  # fmt: skip
    dead_run = media / "jobs" / "tmp" / f"job{job.pk}-deadrun"
    dead_run.parent.mkdir(parents=True)
    dead_run.write_text("第1步 甲镇\n", encoding="utf-8")

    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.progress == 100
    assert [p.name for p in files_under(media)] == [Path(job.output.name).name]
