"""`manage.py backup`: one archive of the database and the uploaded files (org.backup)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from org.backup import BackupError, create_backup


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


class Command(BaseCommand):
    help = (
        "备份数据库（PostgreSQL 用 pg_dump，SQLite 用其备份接口）和全部上传文件，"
        "写成一个 portal-backup-<日期-时间>.tar.gz 档案（含校验清单）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "var" / "backups"),
            help="备份档案写入的目录（默认 var/backups，不存在时自动创建）",
        )

    def handle(self, *args, output, **options):
        log = self.stdout.write if options["verbosity"] >= 1 else None
        try:
            result = create_backup(output, log=log)
        except BackupError as exc:
            raise CommandError(str(exc))
        rows = sum(result.tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{result.path}\n"
                f"  数据库：{len(result.tables)} 张表，共 {rows} 行（{_size(result.database_bytes)}）\n"
                f"  上传文件：{result.files} 个（{_size(result.file_bytes)}），来自 {settings.MEDIA_ROOT}"
            )
        )
