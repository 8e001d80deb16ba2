"""`manage.py seed_demo`: fill a development database with the demo county 清河县 (or, with
`--scale province`, a whole province around it) and print the demo accounts.

The work is done by the seeders the apps register (org.seeding); this command only checks
that it may run, sets up their context, runs them in one transaction and reports.
"""

from __future__ import annotations

import argparse
import time
import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from org.models import Region
from org.seeding import SCALES, SeedContext, registered_seeders

DEFAULT_PASSWORD = "Demo#2026renda"  # noqa: S105 - a published demo password; the command runs only with DEBUG on


class Command(BaseCommand):
    help = "生成演示数据：清河县（或 --scale province 生成全省规模数据）及各角色演示账号。仅限 DEBUG 模式。"

    def add_arguments(self, parser):
        """--password, --scale, --if-empty, and the hidden --townships for tests."""
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"所有演示账号的密码（默认 {DEFAULT_PASSWORD}）；再次运行时重置为此密码",
        )
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="demo",
            help="demo：一个县约12个乡镇；province：一个省约90个县、1300个乡镇、9万名代表",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有行政区划时不做任何事（make run 首次启动时生成演示数据用）",
        )
        # For tests: a province of this many townships instead of ~1,300.
        parser.add_argument("--townships", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, password, scale, townships, if_empty, **options):
        """Check that seeding is allowed, run every registered seeder in one transaction,
        print the demo accounts and the time taken."""
        # Checked first: a database already in use is left alone whatever the settings are.
        if if_empty and Region.objects.exists():
            self.stdout.write("数据库中已有数据，未生成演示数据（去掉 --if-empty 可补齐演示数据并重置演示账号密码）。")
            return
        if not settings.DEBUG:
            raise CommandError(
                "演示数据只能在开发环境（DEBUG=True）中生成：当前 DEBUG=False，可能是生产数据库，已拒绝执行。"
            )
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("演示密码不符合密码策略：" + "；".join(exc.messages))
        if townships is not None and townships < 1:
            raise CommandError("--townships 必须是正整数。")

        verbose = options["verbosity"] >= 1
        started = time.monotonic()
        ctx = SeedContext(
            scale=scale,
            password=password,
            password_hash=make_password(password),
            options={"townships": townships, "verbosity": options["verbosity"]},
            log_fn=self.stdout.write if verbose else None,
        )
        ctx.log(f"生成演示数据（规模：{'全省' if scale == 'province' else '演示县'}）")
        # One transaction: a failed seeder leaves the database as it was, and SQLite writes
        # far faster inside one transaction than with a commit per statement.
        with transaction.atomic():
            for seeder in registered_seeders():
                t0 = time.monotonic()
                ctx.log(f"[{seeder.name}]")
                seeder.fn(ctx)
                ctx.log(f"  用时 {time.monotonic() - t0:.1f} 秒")
        if connection.vendor == "postgresql":
            # Planner statistics for the freshly loaded tables: without them PostgreSQL
            # guesses one serving mandate in the province and nests loops over 89,000
            # deputies (the structure page took a second until autovacuum got round to it).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started
        if verbose:
            self.stdout.write("")
            self.stdout.write("演示账号（首次登录无须修改密码）：")
            rows = [(a.username, a.role, a.region, password) for a in ctx.accounts]
            self.stdout.write(format_table(("账号", "角色", "区划", "密码"), rows))
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪，用时 {elapsed:.1f} 秒。"))


def _width(text: str) -> int:
    """Terminal columns of `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers, rows) -> str:
    """A plain-text table whose columns line up with Chinese text in them."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
