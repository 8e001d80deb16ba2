"""The job runner and pages, in-process (the real-worker path is test_jobs_worker.py)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

import tests.org.jobkinds  # noqa: F401
from org.jobs import JobError, job_create, job_enqueue, job_execute, jobs_reap_stale
from org.models import Job, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_runner_rechecks_scope_when_the_job_starts(world, media):
    job = Job.objects.create(kind="test_slow", region=world.town_a, requested_by=world.clerk_a, params={"delay": 0})
    Membership.objects.filter(user=world.clerk_a).delete()
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "无权" in job.message
    assert not job.output


def test_runner_produces_the_file_in_process(world, media):
    job = Job.objects.create(kind="region_directory", region=world.county, requested_by=world.county_admin)
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    from openpyxl import load_workbook

    ws = load_workbook(job.output.path).active
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert {"测试县", "甲镇", "乙镇", "甲村"} <= set(names)


def test_region_directory_of_a_township_holds_only_that_township(world, media):
    job = Job.objects.create(kind="region_directory", region=world.town_b, requested_by=world.clerk_b)
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    from openpyxl import load_workbook

    names = [r[1] for r in load_workbook(job.output.path).active.iter_rows(min_row=2, values_only=True)]
    assert names == ["乙镇"]


def test_a_clerk_cannot_start_a_job_over_another_township(world):
    with pytest.raises(JobError):
        job_create(kind="region_directory", region=world.town_b, user=world.clerk_a)
    with pytest.raises(JobError):
        job_create(kind="region_directory", region=world.town_a, user=world.auditor)
    with pytest.raises(JobError):
        job_create(kind="no_such_kind", region=world.town_a, user=world.clerk_a)


def test_broker_down_fails_the_job_with_a_chinese_message(world, settings):
    from tests.org.worker import app, reset_producer

    job = Job.objects.create(kind="test_slow", region=world.town_a, requested_by=world.clerk_a)
    saved = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    reset_producer()
    try:
        job_enqueue(job_id=job.pk)
    finally:
        app.conf.broker_url = saved
        reset_producer()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "后台任务服务暂时不可用" in job.message


def test_stale_running_jobs_are_reaped(world):
    old = Job.objects.create(kind="test_slow", region=world.town_a, requested_by=world.clerk_a, state="running")
    fresh = Job.objects.create(kind="test_slow", region=world.town_a, requested_by=world.clerk_a, state="running")
    Job.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=2))
    assert jobs_reap_stale() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.state == Job.State.FAILED and "中断" in old.message
    assert fresh.state == Job.State.RUNNING


def test_jobs_page_polls_only_unfinished_rows(world, login):
    running = Job.objects.create(
        kind="test_slow", region=world.town_a, requested_by=world.clerk_a, state="running", progress=40
    )
    done = Job.objects.create(
        kind="test_slow", region=world.town_a, requested_by=world.clerk_a, state="done", progress=100
    )
    c = login(world.clerk_a)
    page = c.get("/org/jobs/").content.decode()
    assert f'hx-get="/org/jobs/{running.pk}/row/"' in page
    assert f'hx-get="/org/jobs/{done.pk}/row/"' not in page
    row = c.get(f"/org/jobs/{running.pk}/row/", HTTP_HX_REQUEST="true").content.decode()
    assert "40%" in row and "<html" not in row


def test_starting_a_job_from_the_page_queues_it_for_the_users_region(world, login):
    c = login(world.clerk_a)
    response = c.post("/org/jobs/new/", {"kind": "region_directory"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.region == world.town_a and job.requested_by == world.clerk_a and job.state == Job.State.QUEUED
