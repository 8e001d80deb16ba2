"""Celery tasks of org: thin wrappers; the work is in jobs.py."""

from celery import shared_task
from celery.signals import task_failure

from .jobs import job_execute, job_fail, jobs_reap_stale


@shared_task(name="org.tasks.run_job")
def run_job(job_id: int) -> None:
    job_execute(job_id=job_id)


@shared_task(name="org.tasks.reap_stale_jobs")
def reap_stale_jobs() -> int:
    return jobs_reap_stale()


@task_failure.connect
def _job_task_failed(sender=None, args=None, exception=None, **kwargs):
    # A child process killed mid-job (WorkerLostError, hard time limit) never reaches the
    # runner's own error handling: the parent process ends the job here.
    if getattr(sender, "name", "") == "org.tasks.run_job" and args:
        job_fail(job_id=int(args[0]), message="任务中断（处理进程意外退出或超时），请重新提交。")
