"""Backup and restore of the whole installation: the database and the photos, in one file.

A backup is a ``.tar.gz`` holding ``manifest.json``, the database (SQLite: a consistent copy made with
SQLite's online backup API while the site runs; PostgreSQL: ``pg_dump`` in its custom format) and
``media/`` (the photos). A restore puts both back as they were: the database through the same tools (on
PostgreSQL the schema emptied and the dump replayed by ``psql``, in one transaction), and the photo folder
replaced, the previous one kept beside it.

When the photos live in an object store (``JINGWU_S3_BUCKET``), the backup holds the database only and says so
in its manifest: a city's bucket is terabytes, and is backed up by the store's own means (versioning, bucket
replication, ``mc mirror``), not copied through one machine's disk. A restore then leaves the bucket alone; a
backup with photos restored onto an installation that keeps them in a bucket puts them into the bucket (the
way from a town's folder to a city's store).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from jingwu.lib import clock

FORMAT = 1


class BackupError(Exception):
    pass


def _pg_env() -> tuple[dict[str, str], list[str]]:
    cfg = connection.settings_dict
    env = dict(os.environ)
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = str(cfg["PASSWORD"])
    args = ["-h", str(cfg.get("HOST") or "127.0.0.1"), "-p", str(cfg.get("PORT") or 5432)]
    if cfg.get("USER"):
        args += ["-U", str(cfg["USER"])]
    return env, args


def _run(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[:2000]}")


def _restore_pg(dump: Path, name: str, args: list[str], env: dict[str, str]) -> None:
    """``pg_restore`` writes the dump as SQL into ``psql``, streamed (a city's dump is not held in memory)."""
    for tool in ("pg_restore", "psql"):
        if shutil.which(tool) is None:
            raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    script = subprocess.Popen(
        ["pg_restore", "--no-owner", "--no-privileges", "-f", "-", str(dump)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    psql = subprocess.run(
        [
            *("psql", *args, "--single-transaction", "-v", "ON_ERROR_STOP=1", "-q", "-X", "-d", name),
            *("-c", "DROP SCHEMA IF EXISTS public CASCADE", "-c", "CREATE SCHEMA public", "-f", "-"),
        ],
        env=env,
        stdin=script.stdout,
        capture_output=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    assert script.stdout is not None and script.stderr is not None
    script.stdout.close()
    errors = script.stderr.read().decode(errors="replace")
    if script.wait() != 0:
        raise BackupError(f"pg_restore failed: {errors.strip()[:2000]}")
    if psql.returncode != 0:
        raise BackupError(f"restoring failed: {psql.stderr.decode(errors='replace').strip()[:2000]}")


def object_storage() -> str | None:
    """Where the photos are when they are not in a folder of this machine (``s3://bucket/prefix``), else None."""
    from django.core.files.storage import FileSystemStorage, default_storage

    if isinstance(default_storage, FileSystemStorage):
        return None
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:
        return f"s3://{bucket}/{getattr(default_storage, 'location', '') or ''}".rstrip("/")
    return type(default_storage).__name__


def backup(out: Path) -> dict[str, Any]:
    media = Path(settings.MEDIA_ROOT)
    store = object_storage()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if connection.vendor == "sqlite":
            db_file = "db.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(work / db_file)
            with target:
                connection.connection.backup(target)  # consistent while others write (WAL)
            target.close()
        elif connection.vendor == "postgresql":
            db_file = "db.pgdump"
            env, args = _pg_env()
            name = str(connection.settings_dict["NAME"])
            _run(["pg_dump", *args, "-Fc", "--no-owner", "--no-privileges", "-f", str(work / db_file), name], env)
        else:
            raise BackupError(f"no backup for the {connection.vendor} database")
        # With the photos in an object store, the local folder is not theirs: leave it out rather than back up
        # an empty or stale folder as if it were the photos.
        files = [p for p in media.rglob("*") if p.is_file()] if media.exists() and store is None else []
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "vendor": connection.vendor,
            "database": db_file,
            "created_at": clock.now().isoformat(),
            "media_files": len(files),
            "media_bytes": sum(p.stat().st_size for p in files),
        }
        if store is not None:
            manifest["media_storage"] = store
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / "manifest.json", "manifest.json")
            tar.add(work / db_file, db_file)
            for p in files:
                tar.add(p, f"media/{p.relative_to(media).as_posix()}")
        partial.replace(out)  # a backup file is either whole or absent
    return manifest


def _extract_safely(tar: tarfile.TarFile, dest: Path) -> None:
    """Regular files and folders inside ``dest`` only: no absolute paths, no '..', no links or devices."""
    for member in tar.getmembers():
        path = (dest / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not path.is_relative_to(dest.resolve()):
            raise BackupError(f"the backup holds an unsafe entry: {member.name}")
    tar.extractall(dest)


def restore(src: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            with tarfile.open(src, "r:gz") as tar:
                _extract_safely(tar, work)
            manifest = json.loads((work / "manifest.json").read_text())
            db_name = manifest["database"]
        except (tarfile.TarError, OSError, ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{src} is not a Jingwu backup ({exc})") from exc
        if not (work / db_name).is_file():
            raise BackupError(f"{src} is incomplete: {db_name} is missing")
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        if manifest["vendor"] != connection.vendor:
            raise BackupError(f"this backup is of a {manifest['vendor']} database, not {connection.vendor}")
        db_file = work / manifest["database"]
        if connection.vendor == "sqlite":
            connection.close()
            source = sqlite3.connect(db_file)
            target = sqlite3.connect(str(connection.settings_dict["NAME"]))
            with target:
                source.backup(target)
            source.close()
            target.close()
        else:
            connection.close()
            env, args = _pg_env()
            name = str(connection.settings_dict["NAME"])
            # The schema is emptied and the dump replayed in one transaction (psql --single-transaction): all of
            # it or nothing. Not ``pg_restore --clean``: it drops partitions' inherited constraints one by one,
            # which PostgreSQL refuses (the monitoring readings are partitioned by month).
            _restore_pg(db_file, name, args, env)
        restored = work / "media"
        store = object_storage()
        if store is not None:
            manifest["media_uploaded"] = _into_store(restored)
            return manifest
        if manifest.get("media_storage"):
            return manifest  # the photos were in a bucket, not in this file: the local folder stays as it is
        media = Path(settings.MEDIA_ROOT)
        restored.mkdir(exist_ok=True)
        if media.exists() and any(media.iterdir()):
            keep = media.with_name(f"{media.name}.before-restore-{clock.now():%Y%m%d%H%M%S}")
            media.rename(keep)
            manifest["previous_media"] = str(keep)
        elif media.exists():
            media.rmdir()
        media.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(restored), str(media))
    return manifest


def _into_store(folder: Path) -> int:
    """Put the backup's photos into the object store under their own names, skipping those already there
    (photos are named by their digest, so a name there is the same photo). Returns how many were put."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    put = 0
    if not folder.is_dir():
        return put
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if default_storage.exists(name):
            continue
        with path.open("rb") as fh:
            saved = default_storage.save(name, File(fh))
        if saved != name:
            raise BackupError(f"the object store renamed {name} to {saved}")
        put += 1
    return put
