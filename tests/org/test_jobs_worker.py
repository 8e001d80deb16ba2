"""A job end to end on a real Celery worker process: queued → running with progress → done
with a file only in-scope users can download; a job that raises ends failed, with its
message and no file. Runs on the embedded default (folder broker, SQLite) and, in CI's
second run, on PostgreSQL + Redis."""

from __future__ import annotations

import time

import pytest

import tests.org.jobkinds  # noqa: F401  (registers the test job kinds here too)
from org.jobs import job_create
from org.models import Job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(job, states, timeout=60, seen=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if seen is not None:
            seen.append((job.state, job.progress))
        if job.state in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job.pk} still {job.state} ({job.progress}%)")


def files_under(path):
    return sorted(p for p in path.rglob("*") if p.is_file())


def test_job_runs_to_done_with_progress_and_scoped_download(worker, world, client):
    job = job_create(kind="test_slow", region=world.town_a, user=world.clerk_a, params={"steps": 6, "delay": 0.25})
    assert job.state == Job.State.QUEUED
    seen = []
    wait_for(job, {Job.State.DONE, Job.State.FAILED}, seen=seen)
    assert job.state == Job.State.DONE, (job.message, worker.log()[-3000:])
    running = [p for s, p in seen if s == Job.State.RUNNING]
    assert running and any(0 < p < 100 for p in running), seen
    assert job.progress == 100
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert job.output_name == "测试结果-甲镇.txt"

    url = f"/org/jobs/{job.pk}/download/"
    client.force_login(world.clerk_a)
    response = client.get(url)
    assert response.status_code == 200
    assert "第6步 甲镇" in b"".join(response.streaming_content).decode()
    client.force_login(world.county_admin)
    assert client.get(url).status_code == 200
    client.force_login(world.clerk_b)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_job_that_raises_ends_failed_with_its_message_and_no_file(worker, world, settings):
    from pathlib import Path

    before = files_under(Path(worker.media_root))
    job = job_create(kind="test_fail", region=world.town_a, user=world.clerk_a)
    wait_for(job, {Job.State.DONE, Job.State.FAILED})
    assert job.state == Job.State.FAILED
    assert job.message == "第3行“出生日期”无法识别，任务已停止。"
    assert not job.output
    assert files_under(Path(worker.media_root)) == before


def test_program_error_gives_a_chinese_message_not_a_traceback(worker, world):
    from pathlib import Path

    before = files_under(Path(worker.media_root))
    job = job_create(kind="test_crash", region=world.town_b, user=world.clerk_b)
    wait_for(job, {Job.State.DONE, Job.State.FAILED})
    assert job.state == Job.State.FAILED
    assert "内部错误" in job.message and str(job.pk) in job.message
    assert "ZeroDivisionError" not in job.message
    assert files_under(Path(worker.media_root)) == before
