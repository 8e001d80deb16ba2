"""Real services the fault tests start, break and restart themselves: a redis-server of their
own on a spare port (never the machine's shared one) and a Celery worker process
(tests/org/worker.py) on whichever broker the test names."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from tests.org.worker import WorkerProcess

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll `predicate` until it returns something true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up after {timeout} s waiting for {what}")


class RedisServer:
    """A throwaway redis-server: no persistence, loopback only, its own folder. `stop()` kills
    it (as a crash would), `start()` brings it back on the same port, empty."""

    def __init__(self, workdir: Path):
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        cmd = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.workdir), "--protected-mode", "no",
        ]  # fmt: skip
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until(self.ping, 10, f"redis-server on port {self.port}", interval=0.1)
        return self

    def ping(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited: {(self.workdir / 'redis.log').read_text(errors='replace')}")
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
        except redis.ConnectionError:
            return False

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, but nothing ever answers (a hung Redis)."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Hung(BaseException):  # not Exception: the code under test catches those
    pass


@contextlib.contextmanager
def fails_if_hung(seconds: int, what: str):
    """Turn a hang (a call blocked on a dead service) into a test failure instead of a CI job
    that never ends. Not a timing assertion: the bound is far above any normal run."""

    def alarm(signum, frame):
        raise Hung(f"{what}: still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def start_worker(base: Path, broker_url: str | None = None) -> WorkerProcess:
    """A worker on its own queue; its files go to `base/media` (which the caller must also
    give the test process as MEDIA_ROOT)."""
    media = base / "media"
    media.mkdir(parents=True, exist_ok=True)
    return WorkerProcess(media_root=media, broker_dir=base / "broker", broker_url=broker_url).start()


def kill_worker_group(worker: WorkerProcess) -> None:
    """SIGKILL the whole worker: the main process and its pool child, no chance to clean up."""
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(10)


def pool_child_pids(worker: WorkerProcess) -> list[int]:
    """The prefork pool's processes (children of the worker's main process)."""
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.proc.pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(pid) for pid in out.split()]


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())
