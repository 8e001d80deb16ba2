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


class Command(BaseCommand):
    help = "启动网站和后台任务处理进程（本机演示/开发用）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args, addrport, no_worker, **options):
        worker = None
        if not no_worker:
            worker = self.start_worker()
        try:
            self.stdout.write(self.style.SUCCESS(f"平台已启动：http://{addrport}/ （按 Ctrl+C 停止）"))
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                self.stop_worker(worker)

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
        # A process group of its own, so stopping it stops its pool children too.
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
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
