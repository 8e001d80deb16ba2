"""The load test (issue 7, item 2): gunicorn serving the portal on loopback against the
database and Redis named in the environment, locust clicking it with bench/locustfile.py's
working day of county staff, township clerks and deputies, and the figures as Results.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/load.py [--users 50 --duration 3m]

Production settings (DEBUG=0, a generated SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, static files
collected into a temporary STATIC_ROOT and served by whitenoise) with one exception: the load
comes over plain http on loopback, so the https redirect and the secure-only cookies are
switched off (in production TLS ends in front of gunicorn). gunicorn and locust run in
process groups of their own and are always stopped, also on Ctrl-C or when this process dies."""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import BASE_DIR, BENCH_DIR, Result, print_results

PART = "负载"
PAGE_P95_MS = 300
# gunicorn on 2 cores, measured with 50 users for 75 s on the demo county (database h6, the
# machine shared with other work, load average 9–13, so only the comparison counts):
#   3 workers × 1 thread (sync)     2.7 requests/s, p95 23 s, 0 errors
#   2 workers × 4 threads (gthread) 2.1 requests/s, p95 37 s, 0 errors
#   3 workers × 4 threads (gthread) 2.7 requests/s, p95 34 s, 0 errors
# Kept: 3 sync workers. The work is CPU-bound (templates, the login's password hash), so
# threads only add GIL contention; gunicorn's 2×cores+1 would be 5, but more processes than
# cores only queue on the same CPU with more memory. --workers/--threads try others.
WORKERS = 3
THREADS = 1
START_TIMEOUT_S = 60
LOG_ERROR = re.compile(r"\[(ERROR|CRITICAL)\]|\bERROR\b|\bCRITICAL\b|Traceback|WORKER TIMEOUT")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=50, help="并发用户数（默认 50）")
    parser.add_argument("--rate", type=float, default=2, help="每秒登录的新用户数（默认 2）")
    parser.add_argument("--duration", default="3m", help="运行时长，locust 格式：30s、3m（默认 3m）")
    parser.add_argument("--workers", type=int, default=WORKERS, help=f"gunicorn 进程数（默认 {WORKERS}）")
    parser.add_argument("--threads", type=int, default=THREADS, help=f"每进程线程数（默认 {THREADS}）")
    parser.add_argument("--keep", action="store_true", help="保留临时目录（CSV、gunicorn 日志）")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_preexec():
    """A process group of its own (so stopping it stops its workers), and SIGTERM from the
    kernel should this process die without cleaning up."""
    os.setsid()
    with contextlib.suppress(OSError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop(proc: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after `grace` seconds."""
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace)
    # gunicorn's workers may outlive the master by a moment: the group goes as a whole.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system, also of reaped children) used so far by the processes of a
    process group: gunicorn's master and workers. On a machine shared with other work the
    latencies say more about the neighbours than about the portal; CPU per request does not."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            rest = stat.read_text().rsplit(")", 1)[1].split()
            if int(rest[2]) == pgid:
                total += sum(int(x) for x in rest[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def server_env(static_root: Path) -> dict:
    env = os.environ.copy()
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(static_root),
        # Plain http on loopback (see the module docstring).
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn 启动失败（退出码 {proc.returncode}）")
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "/healthz", timeout=2) as r:  # noqa: S310
            if r.status == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn 在 {timeout:.0f} 秒内没有应答")


def read_stats(prefix: Path) -> tuple[list[dict], dict | None, list[dict], list[dict]]:
    """locust's CSV: the rows per request name, the aggregated row, the failures, and the
    exceptions raised inside the scenario itself (not counted as failed requests by locust)."""
    rows, total = [], None
    stats = Path(f"{prefix}_stats.csv")
    if stats.exists():
        with stats.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["Name"] == "Aggregated":
                    total = row
                else:
                    rows.append(row)
    failures = []
    fail_csv = Path(f"{prefix}_failures.csv")
    if fail_csv.exists():
        with fail_csv.open(encoding="utf-8") as f:
            failures = list(csv.DictReader(f))
    exceptions = []
    exc_csv = Path(f"{prefix}_exceptions.csv")
    if exc_csv.exists():
        with exc_csv.open(encoding="utf-8") as f:
            exceptions = list(csv.DictReader(f))
    return rows, total, failures, exceptions


def log_errors(log: Path) -> list[str]:
    """The lines of gunicorn's log (and Django's, which goes to the same stderr) that tell of
    an error: worker timeouts, tracebacks, ERROR records."""
    if not log.exists():
        return []
    return [line.rstrip() for line in log.read_text(errors="replace").splitlines() if LOG_ERROR.search(line)]


def _num(row: dict, key: str) -> float:
    try:
        return float(row.get(key) or 0)
    except ValueError:
        return 0.0


def results_from(prefix: Path, log: Path, args, setting: str, cpu_s: float = 0.0) -> list[Result]:
    rows, total, failures, exceptions = read_stats(prefix)
    if total is None:
        return [Result(PART, "负载测试", "没有结果", note=f"locust 没有写出统计（见 {prefix}_stats.csv）")]
    out = [Result(PART, "设置", f"{args.users} 用户，{args.duration}", note=setting)]
    for row in sorted(rows, key=lambda r: r["Name"]):
        p95 = _num(row, "95%")
        out.append(
            Result(
                PART,
                row["Name"],
                f"p50 {_num(row, '50%'):.0f} ms，p95 {p95:.0f} ms",
                f"p95 < {PAGE_P95_MS} ms（参考）",
                # Under load the page target is information, not a pass/fail line.
                None,
                f"{int(_num(row, 'Request Count'))} 次"
                + ("" if p95 < PAGE_P95_MS else "；超出")
                + (f"；失败 {int(_num(row, 'Failure Count'))}" if _num(row, "Failure Count") else ""),
            )
        )
    errors = int(_num(total, "Failure Count")) + sum(int(_num(e, "Count")) for e in exceptions)
    reasons = [f"{f['Name']}：{f['Error']}（{f['Occurrences']}）" for f in failures]
    reasons += [f"场景异常：{e['Message'][:80]}（{e['Count']}）" for e in exceptions]
    out += [
        Result(PART, "请求总数", f"{int(_num(total, 'Request Count'))}", note=f"p95 {_num(total, '95%'):.0f} ms"),
        Result(PART, "吞吐量", f"{_num(total, 'Requests/s'):.1f} 请求/秒"),
        Result(
            PART,
            "错误数",
            str(errors),
            "0",
            errors == 0,
            "；".join(reasons[:5]),
        ),
    ]
    requests = int(_num(total, "Request Count"))
    if cpu_s and requests:
        per_request = cpu_s * 1000 / requests
        out.append(
            Result(
                PART,
                "gunicorn CPU",
                f"{cpu_s:.0f} s，每请求 {per_request:.0f} ms",
                note=f"不含数据库；两核专用时约 {2000 / per_request:.0f} 请求/秒（估算，含登录的密码散列）",
            )
        )
    log_lines = log_errors(log)
    out.append(
        Result(
            PART,
            "gunicorn 日志错误",
            str(len(log_lines)),
            "0",
            not log_lines,
            " / ".join(line[:160] for line in log_lines[:3]),
        )
    )
    return out


def run(args) -> list[Result]:
    """Collect static files, start gunicorn, run locust against it, stop everything, read
    the figures. Options as in add_arguments (defaults when `args` lacks them)."""
    defaults = argparse.Namespace()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    parser.parse_args([], namespace=defaults)
    for key, value in vars(defaults).items():
        if not hasattr(args, key):
            setattr(args, key, value)

    work = Path(tempfile.mkdtemp(prefix="portal-load-"))
    try:
        return _run_in(work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _run_in(work: Path, args) -> list[Result]:
    static_root, log, prefix = work / "static", work / "gunicorn.log", work / "locust"
    env = server_env(static_root)
    python = sys.executable
    gunicorn = locust = None
    cpu_s = 0.0
    with log.open("wb") as server_log, (work / "locust.log").open("wb") as locust_log:
        try:
            subprocess.run(  # noqa: S603 - our own interpreter and manage.py
                [python, str(BASE_DIR / "manage.py"), "collectstatic", "--noinput", "-v0"],
                env=env,
                cwd=BASE_DIR,
                check=True,
                stdout=server_log,
                stderr=subprocess.STDOUT,
            )
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            serve = [
                python, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(args.workers), "--threads", str(args.threads),
                "--worker-class", "gthread" if args.threads > 1 else "sync",
                "--timeout", "60", "--graceful-timeout", "10",
                "--log-level", "warning",
            ]  # fmt: skip
            gunicorn = subprocess.Popen(  # noqa: S603
                serve,
                env=env,
                cwd=BASE_DIR,
                stdout=server_log,
                stderr=subprocess.STDOUT,
                preexec_fn=_child_preexec,  # noqa: PLW1509 - no threads started yet
            )
            wait_until_up(f"http://127.0.0.1:{port}", gunicorn)
            # The workers' start-up (imports) is not the load's: counted from here on.
            cpu_start = group_cpu_seconds(gunicorn.pid)
            click = [
                python, "-m", "locust", "-f", str(BENCH_DIR / "locustfile.py"), "--headless",
                "--host", url, "-u", str(args.users), "-r", str(args.rate), "-t", args.duration,
                "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
            ]  # fmt: skip
            locust = subprocess.Popen(  # noqa: S603
                click,
                env=os.environ.copy(),
                cwd=BASE_DIR,
                stdout=locust_log,
                stderr=subprocess.STDOUT,
                preexec_fn=_child_preexec,  # noqa: PLW1509
            )
            locust.wait()
            cpu_s = group_cpu_seconds(gunicorn.pid) - cpu_start
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            tail = " / ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
            return [Result(PART, "负载测试", "未能运行", met=False, note=f"{exc}：{tail[:300]}")]
        finally:
            stop(locust)
            stop(gunicorn)
    # The 5-minute load average spans most of the run: what else the machine was doing.
    setting = f"gunicorn {args.workers} 进程 × {args.threads} 线程；5 分钟平均负载 {os.getloadavg()[1]:.1f}"
    results = results_from(prefix, log, args, setting, cpu_s)
    if args.keep:
        results.append(Result(PART, "临时文件", str(work), note="CSV、gunicorn 日志、locust 输出"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="负载测试：gunicorn + locust，三类用户的日常操作")
    add_arguments(parser)
    args = parser.parse_args()
    # Ctrl-C, kill and a closed terminal all end in the finally of run(), which stops the
    # children. SIGINT explicitly: a shell starting this in the background ignores it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    try:
        results = run(args)
    except KeyboardInterrupt:
        sys.exit("已中断：gunicorn 和 locust 已停止。")
    print_results(results)


if __name__ == "__main__":
    main()
