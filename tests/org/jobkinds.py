"""Job kinds used only by the tests: imported by the test process and, through
`celery worker --include tests.org.jobkinds`, by the real worker the tests start."""

import time

from org.jobs import JobError, register_job


@register_job("test_slow", "测试任务（分步）")
def slow(ctx):
    steps = int(ctx.params.get("steps", 5))
    delay = float(ctx.params.get("delay", 0.3))
    with ctx.output_path.open("w", encoding="utf-8") as fh:
        for i in range(steps):
            fh.write(f"第{i + 1}步 {ctx.region.name}\n")
            ctx.progress(100 * (i + 1) / (steps + 1), f"第{i + 1}/{steps}步", force=True)
            time.sleep(delay)
    return f"测试结果-{ctx.region.name}.txt"


@register_job("test_fail", "测试任务（出错）")
def fail(ctx):
    # Writes part of a file first: the runner must not keep it.
    ctx.output_path.write_text("半个文件", encoding="utf-8")
    ctx.progress(40, force=True)
    raise JobError("第3行“出生日期”无法识别，任务已停止。")


@register_job("test_crash", "测试任务（程序错误）")
def crash(ctx):
    ctx.output_path.write_text("半个文件", encoding="utf-8")
    return 1 / 0
