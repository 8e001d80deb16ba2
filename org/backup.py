"""Backup and restore of a whole portal: the database and the uploaded files in one archive.

`manage.py backup` and `manage.py restore` are thin wrappers around `create_backup` and
`restore_backup` here. An archive `portal-backup-<YYYYmmdd-HHMMSS>.tar.gz` holds

    manifest.json          format version, time, engine, migration state per app, row count
                           per table, path/size/sha256 of every other member
    manifest.sha256        sha256 of manifest.json (a damaged manifest is refused, not trusted)
    database/portal.dump   PostgreSQL: pg_dump --format=custom (restored with pg_restore)
    database/portal.sqlite3  SQLite: a consistent copy made through sqlite3's backup API
    media/...              every file under MEDIA_ROOT (uploads and job outputs)

Row counts are taken from the very snapshot that is dumped (PostgreSQL: an exported snapshot
shared with pg_dump; SQLite: the copy itself), so a restore can prove it found every row.
Errors are raised as `BackupError` with a Chinese message naming the file, table or tool.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

FORMAT = "portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SHA = "manifest.sha256"
DB_MEMBER = {"postgresql": "database/portal.dump", "sqlite": "database/portal.sqlite3"}
ENGINE_LABEL = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
CHUNK = 1024 * 1024
# Rows `migrate` itself writes: a freshly migrated database counts as empty.
MIGRATE_FILLED_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator (Chinese)."""


@dataclass
class BackupResult:
    path: Path
    tables: dict[str, int]
    files: int
    file_bytes: int
    database_bytes: int


@dataclass
class RestoreResult:
    tables: list[tuple[str, int, int | None]] = field(default_factory=list)
    files: int = 0
    notes: list[str] = field(default_factory=list)


# --- helpers ---------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """A file wrapper that hashes what tarfile reads from it, so every file is read once."""

    def __init__(self, fh):
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _vendor(alias=DEFAULT_DB_ALIAS) -> str:
    vendor = connections[alias].vendor
    if vendor not in DB_MEMBER:
        raise BackupError(f"不支持的数据库类型 {vendor}：备份仅支持 PostgreSQL 和 SQLite。")
    return vendor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _disk_error(exc: OSError, where: Path) -> BackupError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BackupError(f"磁盘空间不足，无法写入 {where}：已删除未写完的文件，请清理空间后重试。")
    return BackupError(f"读写 {where} 失败：{exc.strerror or exc}")


def pg_tool(name: str) -> str:
    """Path of pg_dump/pg_restore, or a message naming the Debian package that has it."""
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"未找到 {name} 命令：请安装 Debian 软件包 postgresql-client（apt-get install postgresql-client），"
            "其主版本不得低于数据库服务器的版本。"
        )
    return found


def _pg_env(settings_dict) -> dict[str, str]:
    """libpq environment for the configured database (password only through PGPASSWORD)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            env["PG" + key.upper()] = str(options[key])
    return env


def _run_pg(cmd: list[str], settings_dict, what: str) -> None:
    try:
        proc = subprocess.run(cmd, env=_pg_env(settings_dict), capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        raise BackupError(f"无法运行 {cmd[0]}：{exc.strerror or exc}")
    if proc.returncode != 0:
        detail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        if "No space left on device" in proc.stderr:
            raise BackupError(f"磁盘空间不足，{what}失败：已删除未写完的文件，请清理空间后重试。")
        raise BackupError(f"{what}失败（{Path(cmd[0]).name} 退出码 {proc.returncode}）：\n{detail}")


def list_tables(cursor, vendor: str) -> list[str]:
    """Base tables of the database (PostgreSQL: of the current schema)."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"
        )
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [row[0] for row in cursor.fetchall()]


def count_rows(cursor, vendor: str) -> dict[str, int]:
    """Row count of every table, read through `cursor` (so inside its snapshot)."""
    counts = {}
    for table in list_tables(cursor, vendor):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - a quoted table name
        counts[table] = cursor.fetchone()[0]
    return counts


def _migration_state(cursor, tables) -> dict[str, list[str]]:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    state: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        state.setdefault(app, []).append(name)
    return state


# --- backup ----------------------------------------------------------------------------


def _dump_postgresql(target: Path, alias) -> tuple[dict[str, int], dict[str, list[str]]]:
    """pg_dump of the configured database into `target`; counts from the same snapshot."""
    pg_dump = pg_tool("pg_dump")
    conn = connections[alias]
    settings_dict = conn.settings_dict
    raw = conn.get_new_connection(conn.get_connection_params())
    try:
        raw.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with raw.cursor() as cursor:
            # pg_dump reads the snapshot this transaction exports: the counts below are those
            # of the dumped data, even with users writing meanwhile.
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = count_rows(cursor, "postgresql")
            migrations = _migration_state(cursor, counts)
            _run_pg(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={settings_dict['NAME']}",
                ],
                settings_dict,
                "导出数据库（pg_dump）",
            )
        raw.rollback()
    finally:
        raw.close()
    return counts, migrations


def _dump_sqlite(target: Path, alias) -> tuple[dict[str, int], dict[str, list[str]]]:
    """A consistent copy of the SQLite file through the backup API (safe beside writers)."""
    name = connections[alias].settings_dict["NAME"]
    src = sqlite3.connect(f"file:{name}?mode=ro", uri=True, timeout=20)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # Self-contained file: no -wal beside it when it is read again at restore.
        dst.execute("PRAGMA journal_mode=DELETE")
        cursor = dst.cursor()
        counts = count_rows(cursor, "sqlite")
        migrations = _migration_state(cursor, counts)
    except sqlite3.Error as exc:
        if "full" in str(exc).lower():
            raise BackupError(f"磁盘空间不足，无法写入 {target}：已删除未写完的文件，请清理空间后重试。")
        raise BackupError(f"复制 SQLite 数据库 {name} 失败：{exc}")
    finally:
        dst.close()
        src.close()
    return counts, migrations


def _media_files(media_root: Path, skip: Path):
    """(archive name, path) of every regular file under MEDIA_ROOT, sorted; `skip` is the
    backup folder when it lies inside MEDIA_ROOT (a backup must not contain backups)."""
    if not media_root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(media_root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() != skip)
        for fname in filenames:
            path = here / fname
            if path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(media_root).as_posix()
            found.append(("media/" + rel, path))
    return sorted(found)


def _add_member(tar: tarfile.TarFile, name: str, path: Path) -> dict:
    """Add one file to the archive; returns its manifest entry."""
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def create_backup(output_dir: Path | str, alias=DEFAULT_DB_ALIAS, log=None) -> BackupResult:
    """Write one archive of the database and MEDIA_ROOT into `output_dir`.

    Written under a hidden temporary name and renamed at the end: whatever fails (a tool, a
    full disk, an interrupt) leaves no archive and no temporary file behind."""
    log = log or (lambda msg: None)
    vendor = _vendor(alias)
    output_dir = Path(output_dir).resolve()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {output_dir}：{exc.strerror or exc}")
    created = timezone.localtime()
    final = output_dir / f"portal-backup-{created:%Y%m%d-%H%M%S}.tar.gz"
    if final.exists():
        raise BackupError(f"备份文件 {final} 已存在：请稍后再试或换一个目录。")
    media_root = Path(settings.MEDIA_ROOT).resolve()

    work = Path(tempfile.mkdtemp(prefix=".portal-backup-", dir=output_dir))
    partial = output_dir / f".{final.name}.part"
    try:
        db_file = work / Path(DB_MEMBER[vendor]).name
        log(f"正在导出{ENGINE_LABEL[vendor]}数据库……")
        dump = _dump_postgresql if vendor == "postgresql" else _dump_sqlite
        counts, migrations = dump(db_file, alias)

        log("正在打包数据库和上传文件……")
        with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            database = _add_member(tar, DB_MEMBER[vendor], db_file)
            db_file.unlink()
            files = [_add_member(tar, name, path) for name, path in _media_files(media_root, output_dir)]
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": created.isoformat(),
                "engine": vendor,
                "django_version": django.get_version(),
                "media_root": str(media_root),
                "migrations": migrations,
                "tables": counts,
                "database": database,
                "files": files,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            _add_bytes(tar, MANIFEST, data)
            _add_bytes(tar, MANIFEST_SHA, (hashlib.sha256(data).hexdigest() + "  " + MANIFEST + "\n").encode())
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, final)
    except OSError as exc:
        raise _disk_error(exc, output_dir)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        shutil.rmtree(work, ignore_errors=True)
    return BackupResult(
        path=final,
        tables=counts,
        files=len(files),
        file_bytes=sum(f["size"] for f in files),
        database_bytes=database["size"],
    )


# --- restore ---------------------------------------------------------------------------


def _open_archive(archive: Path) -> tarfile.TarFile:
    if not archive.is_file():
        raise BackupError(f"备份档案 {archive} 不存在或不是文件。")
    try:
        return tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"无法读取备份档案 {archive}：文件已损坏或不是本平台的备份（{exc}）。")


def read_manifest(archive: Path) -> dict:
    """The archive's manifest, checked against its own sha256 and the format version."""
    tar = _open_archive(archive)
    try:
        members = {}
        for member in tar:
            if member.name in (MANIFEST, MANIFEST_SHA) and member.isfile():
                members[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"无法读取备份档案 {archive}：文件已损坏或不完整（{exc}）。")
    finally:
        tar.close()
    if MANIFEST not in members or MANIFEST_SHA not in members:
        raise BackupError(f"备份档案 {archive} 中缺少 {MANIFEST} 或 {MANIFEST_SHA}：不是本平台的备份或不完整。")
    expected = members[MANIFEST_SHA].decode("ascii", "replace").split()[:1]
    if expected != [hashlib.sha256(members[MANIFEST]).hexdigest()]:
        raise BackupError(f"备份档案 {archive} 的清单 {MANIFEST} 校验值不符：档案已损坏或被改动，已拒绝恢复。")
    try:
        manifest = json.loads(members[MANIFEST])
    except ValueError:
        raise BackupError(f"备份档案 {archive} 的清单 {MANIFEST} 不是有效的 JSON。")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} 不是本平台的备份档案。")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"备份档案格式版本为 {manifest.get('format_version')}，本程序只支持版本 {FORMAT_VERSION}：请用相应版本的平台恢复。"
        )
    return manifest


def _safe_member_path(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and bool(path.parts)


def _stage(archive: Path, manifest: dict, staging: Path) -> None:
    """Unpack every member listed in the manifest into `staging`, checking size and sha256.
    A member missing, changed, unlisted, or not a plain file is refused."""
    expected = {entry["path"]: entry for entry in [manifest["database"], *manifest["files"]]}
    seen = set()
    tar = _open_archive(archive)
    try:
        for member in tar:
            if member.name in (MANIFEST, MANIFEST_SHA):
                continue
            entry = expected.get(member.name)
            if entry is None or not member.isfile() or not _safe_member_path(member.name):
                raise BackupError(f"备份档案中有清单未列出的内容 {member.name}：档案被改动，已拒绝恢复。")
            target = staging / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            src = tar.extractfile(member)
            with open(target, "wb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                raise BackupError(f"文件 {member.name} 的校验值与清单不符：档案已损坏或被改动，已拒绝恢复。")
            seen.add(member.name)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"无法读取备份档案 {archive}：文件已损坏或不完整（{exc}）。")
    finally:
        tar.close()
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError("备份档案缺少清单中列出的文件：" + "、".join(missing[:10]) + "，已拒绝恢复。")


def portal_tables_with_rows(alias=DEFAULT_DB_ALIAS) -> list[str]:
    """Tables of the portal's models holding at least one row in the configured database
    (the rows `migrate` writes itself do not count)."""
    conn = connections[alias]
    if conn.vendor == "sqlite":
        target = Path(conn.settings_dict["NAME"])
        if not target.exists():
            # A new server: nothing there yet (and connecting would fail on a missing folder).
            return []
    with conn.cursor() as cursor:
        existing = set(conn.introspection.table_names(cursor))
        tables = sorted(
            ({m._meta.db_table for m in apps.get_models(include_auto_created=True)} & existing) - MIGRATE_FILLED_TABLES
        )
        full = []
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608 - a quoted table name
            if cursor.fetchone():
                full.append(table)
    return full


def _check_migrations(manifest: dict) -> list[str]:
    """Refuse a backup made by newer code; note when `migrate` is due after the restore."""
    from django.db.migrations.loader import MigrationLoader

    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    unknown = sorted(in_backup - on_disk)
    if unknown:
        names = "、".join(f"{app}.{name}" for app, name in unknown[:10])
        raise BackupError(
            f"备份来自更新版本的平台（本程序没有迁移 {names}）：请先部署与备份相同或更新版本的代码再恢复。"
        )
    if on_disk - in_backup:
        return ["当前代码有备份中没有的数据库迁移：恢复后请运行 python manage.py migrate。"]
    return []


def _restore_postgresql(dump: Path, alias) -> None:
    pg_restore = pg_tool("pg_restore")
    conn = connections[alias]
    settings_dict = conn.settings_dict
    conn.close()
    # One transaction: a restore that fails leaves the database as it was. --clean --if-exists
    # also lets it replace a database that `migrate` has already set up.
    _run_pg(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--clean",
            "--if-exists",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        settings_dict,
        "恢复数据库（pg_restore）",
    )


def _restore_sqlite(copy: Path, alias) -> None:
    conn = connections[alias]
    target = Path(conn.settings_dict["NAME"]).resolve()
    conn.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restore")
    shutil.copyfile(copy, tmp)
    # A -wal or -shm left from the old file would be replayed onto the new one.
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{target}{suffix}")
    os.replace(tmp, target)


def _place_files(staging: Path, manifest: dict, media_root: Path) -> int:
    for entry in manifest["files"]:
        rel = entry["path"].removeprefix("media/")
        target = media_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging / entry["path"]), str(target))
    return len(manifest["files"])


def restore_backup(archive: Path | str, force=False, alias=DEFAULT_DB_ALIAS, log=None) -> RestoreResult:
    """Restore `archive` into the configured database and MEDIA_ROOT, then prove it.

    Nothing is touched until every check passed: the manifest and every file verified,
    the engine the same, the target database empty (or `force`). Then the database is
    replaced, the files are put into MEDIA_ROOT and every table's row count is compared
    with the manifest; a difference raises BackupError naming the tables."""
    log = log or (lambda msg: None)
    archive = Path(archive).resolve()
    vendor = _vendor(alias)
    manifest = read_manifest(archive)
    engine = manifest.get("engine")
    if engine != vendor:
        raise BackupError(
            f"该备份来自 {ENGINE_LABEL.get(engine, engine)} 数据库，当前配置的是 {ENGINE_LABEL[vendor]} 数据库："
            "不能跨数据库类型恢复，请在相同类型的数据库上恢复（DATABASE_URL）。"
        )
    result = RestoreResult(notes=_check_migrations(manifest))
    try:
        full = portal_tables_with_rows(alias)
    except DatabaseError as exc:
        raise BackupError(f"无法连接或读取目标数据库 {connections[alias].settings_dict['NAME']}：{exc}")
    if full and not force:
        shown = "、".join(full[:8]) + ("等" if len(full) > 8 else "")
        raise BackupError(
            f"目标数据库已有数据（{shown} 共 {len(full)} 张表有记录），未做任何改动。"
            "确认要用备份覆盖现有数据时，请加 --force 重新运行。"
        )

    media_root = Path(settings.MEDIA_ROOT).resolve()
    try:
        media_root.mkdir(parents=True, exist_ok=True)
        # Beside MEDIA_ROOT, so that placing the files is a rename on the same disk.
        staging = Path(tempfile.mkdtemp(prefix=".portal-restore-", dir=media_root.parent))
    except OSError as exc:
        raise _disk_error(exc, media_root)
    try:
        log(f"正在校验备份档案 {archive.name}（{len(manifest['files'])} 个文件）……")
        try:
            _stage(archive, manifest, staging)
        except OSError as exc:
            raise _disk_error(exc, staging)
        log(f"校验通过，正在恢复{ENGINE_LABEL[vendor]}数据库……")
        db_copy = staging / manifest["database"]["path"]
        if vendor == "postgresql":
            _restore_postgresql(db_copy, alias)
        else:
            try:
                _restore_sqlite(db_copy, alias)
            except OSError as exc:
                raise _disk_error(exc, Path(connections[alias].settings_dict["NAME"]))
        log(f"正在恢复上传文件到 {media_root}……")
        try:
            result.files = _place_files(staging, manifest, media_root)
        except OSError as exc:
            raise _disk_error(exc, media_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    conn = connections[alias]
    conn.close()
    with conn.cursor() as cursor:
        now = count_rows(cursor, vendor)
    expected = manifest["tables"]
    result.tables = [(table, expected[table], now.get(table)) for table in sorted(expected)]
    return result


def mismatched_tables(result: RestoreResult) -> list[str]:
    """Tables whose restored row count differs from the manifest's (or that are missing)."""
    return [table for table, want, got in result.tables if want != got]
