"""What every benchmark script shares: Django set-up outside manage.py, timing pages with the
test Client, peak memory of a child process, and the one table format `make bench` prints.

A part of the suite is a module with `run(args) -> list[Result]`; bench/run.py calls each in
turn on the same seeded database and prints every Result in one table. A Result with a
target says whether it was met, so a missed target is printed, never hidden.

A part script starts like this, so that it runs alone (`python bench/x.py`) and under run.py
(`import bench.x`) alike, and bench/deputies.py never shadows the deputies app:

    if __package__ in (None, ""):
        sys.path[0] = str(Path(__file__).resolve().parent.parent)
    from bench.common import Result, setup_django, ...
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent

# Run as `python bench/x.py`, this folder comes first on sys.path and bench/deputies.py would
# shadow the deputies app: the project root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


@dataclass
class Result:
    """One line of the printed table. `met` is None where there is no target to meet."""

    part: str
    item: str
    value: str
    target: str = ""
    met: bool | None = None
    note: str = ""


def setup_django() -> None:
    # whitenoise warns once that collectstatic has not run: nothing static is measured here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    # The test Client's host.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def quiet_debug() -> None:
    """No query log and no debug pages while measuring (DEBUG may be on for seed_demo)."""
    from django.conf import settings

    settings.DEBUG = False


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def ensure_seeded(minimum: int = 50_000) -> None:
    """Seed the province (`seed_demo --scale province`) into an empty database; warn when
    the database holds fewer than `minimum` deputies (figures then are not province-scale)."""
    from django.core.management import call_command

    from deputies.models import Deputy

    if not Deputy.objects.exists():
        print("数据库为空：生成全省规模演示数据（seed_demo --scale province）……", flush=True)
        started = time.monotonic()
        call_command("seed_demo", "--scale", "province", verbosity=0)
        print(f"  用时 {time.monotonic() - started:.0f} 秒", flush=True)
    n = Deputy.objects.count()
    if n < minimum:
        print(f"注意：库中只有 {n:,} 名代表，不是全省规模；结果只作参考。", flush=True)


def users() -> dict:
    """The seeded personas the benchmarks act as (seed_demo's accounts)."""
    from org.models import User

    wanted = {
        "province": "province_admin",
        "county": "county_admin",
        "clerk": "clerk_chengguan",
        "deputy": "deputy_chengguan_1",
        "it": "sysadmin",
    }
    found = {key: User.objects.filter(username=name).first() for key, name in wanted.items()}
    return {k: u for k, u in found.items() if u is not None}


def time_page(user, url: str, n: int, warm: int = 2) -> dict:
    """p50/p95 in ms of `n` GETs of `url` as `user` (after `warm` untimed ones), and the
    number of queries of one more. {"error": …} when the page does not answer 200."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = None
    for _ in range(warm):  # templates, the session, the user's memberships
        response = client.get(url)
    if response is not None and response.status_code != 200:
        return {"error": f"HTTP {response.status_code}"}
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}"}
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {"p50": pct(times, 50), "p95": pct(times, 95), "queries": len(queries), "n": n}


REFERENCE_REQUESTS = 20


def reference_requests(persona_key: str, n: int) -> int:
    """Reference-only personas (the province admin, whose dashboards list every township of
    the province and take seconds) get fewer requests, so the suite stays within the hour."""
    return min(n, REFERENCE_REQUESTS) if persona_key == "province" else n


def page_target(persona_key: str, r: dict, p95_ms: float, queries: int) -> dict:
    """The target columns of a page's Result. The province admin is not a user DESIGN.md
    plans for (county staff are the top): its figures are printed for reference, no target."""
    if persona_key == "province":
        return {"target": "（参考）", "met": None, "note": f"{r['n']} 次请求；全省所有乡镇在一页上，超出设计的县级用户"}
    return {
        "target": f"p95 < {p95_ms:.0f} ms，≤ {queries} 次查询",
        "met": r["p95"] < p95_ms and r["queries"] <= queries,
        "note": f"{r['n']} 次请求",
    }


def status_kb(field: str) -> int:
    """A memory figure of this process from /proc (Linux), in kB; 0 elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak() -> None:
    """Start the peak-RSS count (VmHWM) afresh, so it is what follows alone (Linux 4.0+).
    getrusage's ru_maxrss cannot be reset, and even carries over from the parent on exec."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@contextlib.contextmanager
def measured():
    """Wall time and peak RSS of the block: `with measured() as m: …` then m["seconds"], m["peak_mb"]
    and m["before_mb"] (what the process held already: under bench/run.py, the earlier parts)."""
    figures: dict = {"before_mb": status_kb("VmRSS") / 1024}
    reset_peak()
    started = time.perf_counter()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - started
        figures["peak_mb"] = status_kb("VmHWM") / 1024


def run_child(script: Path, *args: str) -> dict:
    """Run `python script args…` in a fresh process (so its peak memory is its own) and return
    the JSON object on the last line of its output."""
    child = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, str(script), *args], capture_output=True, text=True, env=os.environ.copy()
    )
    if child.returncode != 0:
        tail = (child.stderr or child.stdout).strip().splitlines()[-5:]
        return {"error": f"子进程失败（{child.returncode}）：" + " / ".join(tail)}
    return json.loads(child.stdout.strip().splitlines()[-1])


def ms(r: dict) -> str:
    return f"p50 {r['p50']:.0f} ms，p95 {r['p95']:.0f} ms"


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def table(headers, rows) -> str:
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(_width(h), *(_width(r[i]) for r in rows)) if rows else _width(h) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=False)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def print_results(results: list[Result]) -> None:
    marks = {True: "达标", False: "未达标", None: ""}
    part = None
    rows = []
    for r in results:
        rows.append([r.part if r.part != part else "", r.item, r.value, r.target, marks[r.met], r.note])
        part = r.part
    print(table(["部分", "项目", "结果", "目标", "", "说明"], rows))
    missed = [r for r in results if r.met is False]
    if missed:
        print(f"\n未达标 {len(missed)} 项：" + "；".join(f"{r.part}·{r.item}" for r in missed))
    else:
        print("\n所有设定目标均已达标。")
