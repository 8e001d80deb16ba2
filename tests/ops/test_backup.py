"""`manage.py backup` / `manage.py restore` (org.backup) on the database the suite runs on.

A backup of committed rows and uploaded files, restored by a separate process into an empty
database (a fresh PostgreSQL database, or a new SQLite file) and an empty MEDIA_ROOT, holds
every row and every file byte for byte. Restore refuses a target that already has data
(until --force, which then replaces it), an archive from the other engine, a damaged or
altered archive and an unreadable one, touching nothing; row counts that differ from the
manifest fail naming the table; a backup that fails midway leaves no archive behind."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

import org.backup
from org.backup import BackupError, pg_tool
from org.models import Job, Region
from tests.factories import DeputyFactory, JobFactory, StationFactory, StationFileFactory

# Committed rows: pg_dump and the restore process read the database from other connections.
transactional = pytest.mark.django_db(transaction=True)

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
WORKBOOK = b"PK\x03\x04" + "代表花名册".encode() * 100


def is_pg() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def populated(world, media):
    """Rows of several models, an uploaded station photo and a finished job's output file."""
    deputy = DeputyFactory(region=world.town_a, name="备份测试代表")
    station = StationFactory(region=world.town_a, name="甲镇人大代表之家")
    photo = StationFileFactory(station=station, file=ContentFile(PHOTO, name="阵地照片.png"))
    job = JobFactory(
        region=world.town_a,
        requested_by=world.clerk_a,
        state=Job.State.DONE,
        progress=100,
        finished_at=timezone.now(),
        output_name="甲镇代表花名册.xlsx",
    )
    job.output.save("roster.xlsx", ContentFile(WORKBOOK))
    return {"deputy": deputy, "photo": photo, "job": job}


def backup(out: Path) -> Path:
    """Run `manage.py backup --output out`; the one archive it wrote."""
    printed = io.StringIO()
    call_command("backup", output=str(out), stdout=printed)
    archives = list(out.iterdir())
    assert len(archives) == 1 and archives[0].name.startswith("portal-backup-")
    assert archives[0].name.endswith(".tar.gz")
    assert str(archives[0]) in printed.getvalue() and "上传文件：2 个" in printed.getvalue()
    return archives[0]


def table_counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names from introspection
        counts[table] = cursor.fetchone()[0]
    return counts


def source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return table_counts(cursor, connection.introspection.table_names(cursor))


def _pg_params(name) -> dict:
    sd = connection.settings_dict
    params = {"dbname": name, "user": sd["USER"], "host": sd["HOST"], "port": sd["PORT"], "password": sd["PASSWORD"]}
    return {k: v for k, v in params.items() if v}


@contextmanager
def empty_database(tmp_path):
    """(DATABASE_URL, connect) of a database with nothing in it, dropped afterwards."""
    if not is_pg():
        path = tmp_path / "restored" / "portal.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        return
    import psycopg2

    sd = connection.settings_dict
    # e.g. h5_restore_1a2b3c4d beside test_h5: unique per run, so parallel runs do not meet.
    name = f"{sd['NAME'].removeprefix('test_')}_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(**_pg_params("postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        auth = quote(sd["USER"] or "", safe="") + (":" + quote(sd["PASSWORD"], safe="") if sd["PASSWORD"] else "")
        url = f"postgres://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{name}"
        yield url, lambda: psycopg2.connect(**_pg_params(name))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def manage(*args, database_url, media_root) -> subprocess.CompletedProcess:
    """`manage.py <args>` in its own process, on the given database and MEDIA_ROOT."""
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def query(connect, sql, params=()):
    conn = connect()
    try:
        cursor = conn.cursor()
        cursor.execute(sql if is_pg() else sql.replace("%s", "?"), params)
        rows = cursor.fetchall() if cursor.description else []
        conn.commit()
        return rows
    finally:
        conn.close()


def target_counts(connect, tables) -> dict[str, int]:
    conn = connect()
    try:
        return table_counts(conn.cursor(), tables)
    finally:
        conn.close()


def rewrite(archive: Path, dest: Path, change) -> Path:
    """A copy of `archive` with its members (name -> bytes, in order) passed through `change`."""
    with tarfile.open(archive) as src:
        members = {m.name: src.extractfile(m).read() for m in src if m.isfile()}
    change(members)
    with tarfile.open(dest, "w:gz", format=tarfile.PAX_FORMAT) as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return dest


def change_manifest(members, fn) -> None:
    """Alter the manifest and re-seal it (a consistent archive, only its content changed)."""
    manifest = json.loads(members["manifest.json"])
    fn(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    members["manifest.sha256"] = hashlib.sha256(members["manifest.json"]).hexdigest().encode()


@transactional
def test_restore_into_empty_database_finds_every_row_and_file(populated, media, tmp_path):
    before = source_counts()
    archive = backup(tmp_path / "backups")
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["engine"] == connection.vendor and manifest["tables"] == before
    assert "0001_initial" in manifest["migrations"]["org"]

    photo, job, deputy = populated["photo"], populated["job"], populated["deputy"]
    restored_media = tmp_path / "restored-media"
    with empty_database(tmp_path) as (url, connect):
        done = manage("restore", str(archive), database_url=url, media_root=restored_media)
        assert done.returncode == 0, done.stderr
        assert "恢复完成" in done.stdout and "org_region" in done.stdout

        # Every table has the rows it had, and these are the very rows.
        after = target_counts(connect, before)
        assert after == before
        assert after["org_region"] >= 4 and after["deputies_deputy"] == 1
        assert after["stations_stationfile"] == 1 and after["org_job"] == 1
        assert query(connect, "SELECT name FROM deputies_deputy WHERE id = %s", [deputy.pk]) == [("备份测试代表",)]
        assert query(connect, "SELECT name FROM org_region WHERE id = %s", [populated["photo"].station.region_id]) == [
            ("甲镇",)
        ]
        assert query(connect, "SELECT file FROM stations_stationfile WHERE id = %s", [photo.pk]) == [(photo.file.name,)]
        assert query(connect, "SELECT output, output_name, state FROM org_job WHERE id = %s", [job.pk]) == [
            (job.output.name, "甲镇代表花名册.xlsx", "done")
        ]
        clerk = populated["job"].requested_by
        assert query(connect, "SELECT password FROM org_user WHERE username = 'clerk_a'") == [(clerk.password,)]
        # Every uploaded file, byte for byte, under the new MEDIA_ROOT.
        assert (restored_media / photo.file.name).read_bytes() == PHOTO
        assert (restored_media / job.output.name).read_bytes() == WORKBOOK

        # A second restore onto what is now a database with data is refused and changes nothing.
        query(connect, "UPDATE deputies_deputy SET name = %s WHERE id = %s", ["改过的名字", deputy.pk])
        (restored_media / photo.file.name).unlink()
        refused = manage("restore", str(archive), database_url=url, media_root=restored_media)
        assert refused.returncode != 0
        assert "目标数据库已有数据" in refused.stderr and "--force" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert query(connect, "SELECT name FROM deputies_deputy WHERE id = %s", [deputy.pk]) == [("改过的名字",)]
        assert not (restored_media / photo.file.name).exists()


@transactional
def test_force_replaces_the_data_of_a_database_in_use(populated, media, tmp_path):
    before = source_counts()
    archive = backup(tmp_path / "backups")
    deputy, photo = populated["deputy"], populated["photo"]
    deputy.name = "改过的名字"
    deputy.save()
    Region.objects.create(name="备份之后新建的村", kind=Region.Kind.VILLAGE, parent=deputy.region, code="999999999999")
    photo_path = media / photo.file.name
    photo_path.unlink()

    with pytest.raises(CommandError, match="目标数据库已有数据.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert Region.objects.filter(name="备份之后新建的村").exists() and not photo_path.exists()

    printed = io.StringIO()
    call_command("restore", str(archive), "--force", stdout=printed)
    assert "恢复完成" in printed.getvalue()
    assert source_counts() == before
    assert not Region.objects.filter(name="备份之后新建的村").exists()
    deputy.refresh_from_db()
    assert deputy.name == "备份测试代表"
    assert photo_path.read_bytes() == PHOTO

    # Row counts that differ from the manifest (here: the manifest says 7 regions more) fail,
    # naming the table, after the counts are printed.
    def more_regions(manifest):
        manifest["tables"]["org_region"] += 7

    counts_off = rewrite(archive, tmp_path / "counts.tar.gz", lambda ms: change_manifest(ms, more_regions))
    printed = io.StringIO()
    with pytest.raises(CommandError, match=r"行数与备份清单不符的表：org_region$"):
        call_command("restore", str(counts_off), "--force", stdout=printed)
    assert "org_region" in printed.getvalue()


@transactional
def test_damaged_altered_or_foreign_archives_are_refused_and_nothing_touched(populated, tmp_path, settings):
    archive = backup(tmp_path / "backups")
    photo_name = "media/" + populated["photo"].file.name
    other_engine = "sqlite" if is_pg() else "postgresql"

    def flip_a_byte(ms):
        # Same size, one byte different: only the checksum can tell.
        data = bytearray(ms[photo_name])
        data[20] ^= 0xFF
        ms[photo_name] = bytes(data)

    def add_unlisted(ms):
        ms["media/extra.php"] = b"<?php system($_GET['c']); ?>"

    def edit_manifest_unsealed(ms):
        ms["manifest.json"] = ms["manifest.json"].replace(b'"org_region": ', b'"org_region": 1')

    altered = {
        "file": (flip_a_byte, f"文件 {photo_name} 的校验值与清单不符"),
        "manifest": (edit_manifest_unsealed, "manifest.json 校验值不符"),
        "extra": (add_unlisted, "清单未列出的内容 media/extra.php"),
        "missing": (lambda ms: ms.pop(photo_name), f"缺少清单中列出的文件：{photo_name}"),
        "engine": (
            lambda ms: change_manifest(ms, lambda m: m.update(engine=other_engine)),
            "该备份来自 SQLite 数据库，当前配置的是 PostgreSQL"
            if is_pg()
            else "该备份来自 PostgreSQL 数据库，当前配置的是 SQLite",
        ),
    }
    archives = {
        case: (rewrite(archive, tmp_path / f"{case}.tar.gz", fn), message) for case, (fn, message) in altered.items()
    }
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not a backup")
    archives["garbage"] = (garbage, "无法读取备份档案")
    cut = tmp_path / "cut.tar.gz"  # a copy cut short in transfer
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    archives["cut"] = (cut, "无法读取备份档案")

    target_media = tmp_path / "target-media"
    settings.MEDIA_ROOT = str(target_media)
    Region.objects.filter(name="乙镇").update(name="乙镇（恢复前）")
    regions = Region.objects.count()
    for case, (path, message) in archives.items():
        # --force: the target's data must not be what stops these.
        with pytest.raises(CommandError) as refused:
            call_command("restore", str(path), "--force", stdout=io.StringIO())
        assert message in str(refused.value), case
        # Nothing restored: the database still has its changed row, no file was placed.
        assert Region.objects.count() == regions and Region.objects.filter(name="乙镇（恢复前）").exists(), case
        assert not any(p.is_file() for p in target_media.rglob("*")), case


@transactional
def test_backup_failing_midway_leaves_no_archive(populated, tmp_path, monkeypatch):
    real_add = org.backup._add_member
    added = []

    def disk_fills_up(tar, name, path):
        # The database is in, the first uploaded file meets a full disk.
        if added:
            raise OSError(errno.ENOSPC, "No space left on device")
        added.append(name)
        return real_add(tar, name, path)

    monkeypatch.setattr(org.backup, "_add_member", disk_fills_up)
    out = tmp_path / "backups"
    with pytest.raises(CommandError, match="磁盘空间不足"):
        call_command("backup", output=str(out), stdout=io.StringIO())
    assert added == [org.backup.DB_MEMBER[connection.vendor]]
    assert list(out.iterdir()) == []


def test_missing_postgresql_client_names_the_debian_package(tmp_path, monkeypatch):
    """No database needed: the tool is looked for before any connection is made."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="postgresql-client"):
        pg_tool("pg_restore")
    if is_pg():
        out = tmp_path / "backups"
        with pytest.raises(CommandError, match="未找到 pg_dump.*postgresql-client"):
            call_command("backup", output=str(out), stdout=io.StringIO())
        assert list(out.iterdir()) == []
