"""A large roster import end to end on a real Celery worker: the upload's check and the
commit run as jobs in another process, and the clerk's pages follow them."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from deputies.models import Deputy, ImportBatch
from org.models import Job
from tests.deputies.test_import import big_workbook, latest_batch, terms, upload  # noqa: F401  (terms: fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_job(job_id, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job.state} ({job.progress}%)")


def test_large_import_is_checked_and_committed_by_the_worker(worker, world, terms, login):  # noqa: F811
    client = login(world.clerk_a)
    upload(client, big_workbook(2200), "全镇代表.xlsx")
    batch = latest_batch()
    assert batch.state == ImportBatch.State.PARSING

    job = wait_for_job(batch.job_id)
    assert job.state == Job.State.DONE, (job.message, worker.log()[-2000:])
    batch.refresh_from_db()
    assert (batch.state, batch.total_rows, batch.error_count) == ("parsed", 2200, 0)
    assert "2200" in client.get(batch.get_absolute_url()).content.decode()

    client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "skip"})
    batch.refresh_from_db()
    job = wait_for_job(batch.job_id)
    assert job.state == Job.State.DONE, (job.message, worker.log()[-2000:])
    batch.refresh_from_db()
    assert (batch.state, batch.created_count) == ("committed", 2200)
    assert Deputy.objects.filter(region=world.town_a).count() == 2200
    assert not Deputy.objects.filter(region=world.town_b).exists()
