"""Background jobs: the registry of job kinds and the runner every Celery job goes through.

A job kind is a function `run(ctx)` registered under a name. It reads what it needs through
`ctx` (the job row, its region and the requesting user, re-checked against scope), reports
progress with `ctx.progress(pct)`, writes its file to `ctx.output_path` and returns the name
the user downloads it as. The runner marks the row running/done/failed, keeps the file only
when the run succeeded, and turns any error into a Chinese message (pretix's pattern).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from .models import Job, Region, user_roles
from .roles import Role

log = logging.getLogger(__name__)

TMP_NAME = re.compile(r"^job(\d+)-")


class JobError(Exception):
    """A failure whose message is meant for the user (Chinese, names the cause)."""


@dataclass
class JobKind:
    kind: str
    label: str
    run: Callable
    roles: tuple[str, ...]


JOB_KINDS: dict[str, JobKind] = {}


def register_job(kind: str, label: str, roles=(Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)):
    """Decorator: register `run(ctx) -> download name` as job kind `kind`."""

    def wrap(fn):
        JOB_KINDS[kind] = JobKind(kind=kind, label=label, run=fn, roles=tuple(roles))
        return fn

    return wrap


class JobContext:
    """What a running job may use: its row, scope and a throttled progress reporter."""

    PROGRESS_INTERVAL = 0.5  # seconds between progress writes

    def __init__(self, job: Job, output_path: Path):
        self.job = job
        self.user = job.requested_by
        self.region = job.region
        self.params = job.params or {}
        self.output_path = output_path
        self._last_write = 0.0

    def progress(self, percent: float, message: str = "", force: bool = False):
        percent = max(0, min(99, int(percent)))  # 100 only when the file is saved
        now = time.monotonic()
        if not force and now - self._last_write < self.PROGRESS_INTERVAL and percent != 0:
            return
        self._last_write = now
        fields = {"progress": percent, "updated_at": timezone.now()}
        if message:
            fields["message"] = message[:500]
        Job.objects.filter(pk=self.job.pk).update(**fields)


def may_run(user, kind: JobKind, region: Region) -> bool:
    if user is None or not user.is_active:
        return False
    if not set(kind.roles) & user_roles(user):
        return False
    return Region.objects.for_user(user).filter(pk=region.pk).exists()


def job_create(*, kind: str, region: Region, user, params: dict | None = None) -> Job:
    """Queue a job of `kind` over `region` for `user`; the worker gets it once the
    transaction that created the row commits."""
    spec = JOB_KINDS.get(kind)
    if spec is None:
        raise JobError(f"未知的任务类型：{kind}")
    if not may_run(user, spec, region):
        raise JobError("您无权对该范围发起此任务。")
    job = Job.objects.create(kind=kind, region=region, requested_by=user, params=params or {})
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk))
    if not transaction.get_connection().in_atomic_block:
        # No transaction around us: the hand-over has happened already, and a broker that was
        # down is told to the user now (the row stays, failed, with the same reason).
        job.refresh_from_db(fields=["state", "message", "finished_at", "updated_at"])
        if job.state == Job.State.FAILED:
            raise JobError(job.message)
    return job


def job_enqueue(*, job_id: int) -> None:
    """Hand the job to the broker; if the broker is unreachable the job fails at once and
    says so, rather than sitting queued forever."""
    from .tasks import run_job

    try:
        run_job.apply_async(
            args=[job_id], retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
        )
    except Exception as exc:  # kombu raises several types for a dead broker
        log.warning("job %s could not be queued: %r", job_id, exc)
        job_fail(job_id=job_id, message="后台任务服务暂时不可用（无法连接消息队列），任务未能提交，请稍后重试。")


def job_fail(*, job_id: int, message: str) -> None:
    """End a job as failed with a user-facing message; any file it had is removed."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state == Job.State.DONE:
        return
    if job.output:
        job.output.delete(save=False)
    Job.objects.filter(pk=job_id).update(
        state=Job.State.FAILED, message=message[:500], output="", finished_at=timezone.now(), updated_at=timezone.now()
    )
    # A worker killed mid-job never ran its cleanup: its half-written file goes with the job.
    _remove_tmp_files(job_id)


def _tmp_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs" / "tmp"


def _tmp_prefix(job_id: int) -> str:
    # The dash ends the id, so job 1's prefix never matches job 12's files.
    return f"job{job_id}-"


def _remove_tmp_files(job_id: int) -> None:
    for leftover in _tmp_dir().glob(f"{_tmp_prefix(job_id)}*"):
        leftover.unlink(missing_ok=True)


def job_execute(*, job_id: int) -> None:
    """Run one job to its end. Called by the Celery task with nothing but the id."""
    job = Job.objects.select_related("region", "requested_by").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return  # deleted meanwhile, or a duplicate delivery of a job already ended
    spec = JOB_KINDS.get(job.kind)
    if spec is None:
        job_fail(job_id=job_id, message=f"未知的任务类型：{job.kind}")
        return
    # Scope is checked again: the user may have lost the membership since asking.
    if not may_run(job.requested_by, spec, job.region):
        job_fail(job_id=job_id, message="发起人已无权访问该范围，任务未执行。")
        return
    # A job ended meanwhile (failed by the reaper, say) is not brought back to life. A job still
    # "running" is a redelivery after its worker died: it runs again from the start.
    started = Job.objects.filter(pk=job_id, state__in=(Job.State.QUEUED, Job.State.RUNNING)).update(
        state=Job.State.RUNNING, started_at=timezone.now(), progress=0, message="", updated_at=timezone.now()
    )
    if not started:
        return
    tmp_dir = _tmp_dir()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    _remove_tmp_files(job_id)  # of a run whose worker died
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=_tmp_prefix(job_id))
    os.close(fd)
    tmp_path = Path(tmp_name)
    try:
        ctx = JobContext(job, tmp_path)
        download_name = spec.run(ctx)
        with tmp_path.open("rb") as fh:
            job.output.save(download_name, File(fh), save=False)
        finished = Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
            state=Job.State.DONE,
            progress=100,
            output=job.output.name,
            output_name=download_name,
            message=ctx.job.message or "已完成",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not finished:
            # Declared failed while it ran (reaped as stale): the row says failed, so no file.
            job.output.delete(save=False)
    except JobError as exc:
        job_fail(job_id=job_id, message=str(exc))
    except Exception as exc:
        from celery.exceptions import SoftTimeLimitExceeded

        if isinstance(exc, SoftTimeLimitExceeded):
            job_fail(job_id=job_id, message="任务运行超时，已停止。请缩小范围后重试。")
        else:
            log.exception("job %s failed", job_id)
            job_fail(job_id=job_id, message=f"任务执行出错（内部错误，任务编号 {job_id}），请联系系统管理员。")
    finally:
        tmp_path.unlink(missing_ok=True)


def jobs_reap_stale() -> int:
    """Jobs left running by a worker that died are ended as failed, never 'running' forever."""
    cutoff = timezone.now() - settings.JOB_STALE_AFTER
    stale = list(Job.objects.filter(state=Job.State.RUNNING, updated_at__lt=cutoff).values_list("pk", flat=True))
    for job_id in stale:
        job_fail(job_id=job_id, message="任务中断（处理进程意外退出），请重新提交。")
    _sweep_tmp_files()
    return len(stale)


def _sweep_tmp_files() -> None:
    """Remove half-written files of jobs that are no longer queued or running (a job deleted,
    or ended by a process on another machine): only a live run keeps its temporary file."""
    tmp_dir = _tmp_dir()
    if not tmp_dir.is_dir():
        return
    by_job: dict[int, list[Path]] = {}
    for path in tmp_dir.iterdir():
        match = TMP_NAME.match(path.name)
        if match and path.is_file():
            by_job.setdefault(int(match.group(1)), []).append(path)
    live = set(
        Job.objects.filter(pk__in=list(by_job), state__in=(Job.State.QUEUED, Job.State.RUNNING)).values_list(
            "pk", flat=True
        )
    )
    for job_id, paths in by_job.items():
        if job_id not in live:
            for path in paths:
                path.unlink(missing_ok=True)


# The job kinds org itself offers.
from . import exports  # noqa: E402,F401
