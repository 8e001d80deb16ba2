"""`manage.py serve`: the embedded default in one command — the web server and a Celery
worker (with beat) side by side, stopped together. For production use gunicorn and
separate worker/beat processes (docker-compose.yml)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _worker_preexec():
    """In the worker before exec: a process group of its own (so stopping it stops its pool
    children too), and a SIGTERM from the kernel should this process die without cleaning up."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Command(BaseCommand):
    help = "启动网站和后台任务处理进程（本机演示/开发用）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args, addrport, no_worker, **options):
        # `kill`, a closed terminal or `timeout` must stop the worker too, not orphan it.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _exit_on_signal)
        worker = None
        if not no_worker:
            worker = self.start_worker()
        try:
            self.stdout.write(
                self.style.SUCCESS(f"平台已启动：请用浏览器打开 http://{addrport}/login/ （按 Ctrl+C 停止）")
            )
            self.print_accounts()
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                self.stop_worker(worker)

    def print_accounts(self):
        """Remind who can log in: one account per role (the demo's, or whatever exists)."""
        from org.models import Membership

        seen = {}
        for m in Membership.objects.select_related("user", "region").order_by("role", "user__username"):
            seen.setdefault(m.role, []).append(f"{m.user.username}（{m.region.name}）")
        if not seen:
            self.stdout.write("还没有任何账号：运行 python manage.py seed_demo 生成演示数据，或 createsuperuser。")
            return
        self.stdout.write("可登录的账号（演示数据的密码见 seed_demo 的输出，默认 Demo#2026renda）：")
        for role, names in seen.items():
            label = dict(Membership._meta.get_field("role").choices).get(role, role)
            more = f" 等{len(names)}个" if len(names) > 3 else ""
            self.stdout.write(f"  {label}：{'、'.join(names[:3])}{more}")

    def start_worker(self):
        settings.BROKER_DIR.mkdir(parents=True, exist_ok=True)
        log_dir = settings.BASE_DIR / "var" / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / "worker.log").open("ab")
        cmd = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--beat", "--schedule", str(settings.BASE_DIR / "var" / "celerybeat-schedule"),
            "--concurrency", "2", "--loglevel", "INFO",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_worker_preexec)  # noqa: S603
        self.stdout.write(f"后台任务进程已启动（PID {proc.pid}，日志 var/log/worker.log）")
        return proc

    def stop_worker(self, proc):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
