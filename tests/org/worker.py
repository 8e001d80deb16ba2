"""A real Celery worker process for the job tests, on whichever broker the settings name:
Redis when REDIS_URL is set (CI's second run), otherwise the folder broker of the embedded
default; or on a broker the test names (the fault tests' own redis-server). It reads the test
database, so the tests that use it commit (transaction=True)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu.pools
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(settings.BASE_DIR)
# What config/settings.py gives a Redis broker, for a test that names one on the SQLite run.
REDIS_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 3, "socket_timeout": 3}


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def reset_producer():
    """Drop the app's cached queues and connections so the next send reads the conf anew."""
    app.amqp.__dict__.pop("queues", None)
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools per connection URL globally; a closed one would be reused.
    kombu.pools.reset()


class WorkerProcess:
    """Starts `celery worker` on a queue of its own (so parallel test runs never take each
    other's tasks) and points this process's producer at the same queue and broker."""

    def __init__(self, media_root: Path, broker_dir: Path, broker_url: str | None = None):
        self.broker_url = broker_url or settings.CELERY_BROKER_URL
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.media_root = media_root
        self.broker_dir = broker_dir
        self.log_path = media_root.parent / f"worker-{self.queue}.log"
        self.proc = None
        self._saved = {}

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(
            DATABASE_URL=database_url(),
            MEDIA_ROOT=str(self.media_root),
            CELERY_QUEUE=self.queue,
            CELERY_BROKER_DIR=str(self.broker_dir),
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        if self.broker_url != settings.CELERY_BROKER_URL:
            # The worker's settings read the broker (and, for Redis, the cache) from these.
            env["CELERY_BROKER_URL"] = self.broker_url
            if self.broker_url.startswith("redis://"):
                env["REDIS_URL"] = self.broker_url
        return env

    def start(self):
        self.broker_dir.mkdir(parents=True, exist_ok=True)
        conf = {"task_default_queue": self.queue, "broker_url": self.broker_url}
        if self.broker_url.startswith("filesystem://"):
            folder = str(self.broker_dir)
            conf["broker_transport_options"] = {
                "data_folder_in": folder,
                "data_folder_out": folder,
                "processed_folder": folder,
                "store_processed": False,
                "control_folder": str(self.broker_dir / "control"),
            }
        elif settings.CELERY_BROKER_URL.startswith("filesystem://"):
            conf["broker_transport_options"] = REDIS_TRANSPORT_OPTIONS  # the folder's options do not apply
        for key, value in conf.items():
            self._saved[key] = app.conf[key]
            app.conf[key] = value
        reset_producer()
        cmd = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", "prefork", "--concurrency", "1", "-Q", self.queue,
            "--include", "tests.org.jobkinds", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited at start:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after 60 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            import signal

            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc is not None:
            self._log.close()
        for key, value in self._saved.items():
            app.conf[key] = value
        reset_producer()
