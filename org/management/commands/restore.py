"""`manage.py restore ARCHIVE`: put a backup made by `manage.py backup` back (org.backup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from org.backup import BackupError, mismatched_tables, restore_backup

from .seed_demo import format_table


class Command(BaseCommand):
    help = (
        "从 manage.py backup 生成的档案恢复数据库和上传文件：先校验全部文件，"
        "目标数据库已有数据时拒绝（除非 --force），恢复后逐表核对行数。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份档案 portal-backup-<日期-时间>.tar.gz 的路径")
        parser.add_argument("--force", action="store_true", help="目标数据库已有数据时仍然恢复（覆盖现有数据）")

    def handle(self, *args, archive, force, **options):
        log = self.stdout.write if options["verbosity"] >= 1 else None
        try:
            result = restore_backup(archive, force=force, log=log)
        except BackupError as exc:
            raise CommandError(str(exc))
        # Empty tables that match are listed only with -v 2: a portal has some seventy tables.
        shown = [row for row in result.tables if options["verbosity"] >= 2 or row[1] or row[1] != row[2]]
        rows = [(table, want, "（缺失）" if got is None else got) for table, want, got in shown]
        self.stdout.write(format_table(("表", "备份行数", "恢复后行数"), rows))
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        bad = mismatched_tables(result)
        if bad:
            raise CommandError("恢复后行数与备份清单不符的表：" + "、".join(bad))
        total = sum(want for _, want, _ in result.tables)
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成：{len(result.tables)} 张表共 {total} 行与备份一致，上传文件 {result.files} 个已放回。"
            )
        )
