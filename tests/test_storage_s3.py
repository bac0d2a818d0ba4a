"""Photos on an S3-compatible object store (django-storages' S3 backend, against moto's mock of S3): chosen by the
environment, written and read back through the real API, private, and left out of a backup with a clear word.
The filesystem stays the default."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client
from PIL import Image

from jingwu.cases.models import Attachment
from jingwu.org.services import issue_token

from .conftest import IN_A, jpeg

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "jingwu-photos"
S3_ENV = {
    "JINGWU_S3_BUCKET": BUCKET,
    "JINGWU_S3_ACCESS_KEY": "testing-key",
    "JINGWU_S3_SECRET_KEY": "testing-secret",
    "JINGWU_S3_REGION": "us-east-1",
    "JINGWU_S3_PREFIX": "town",
}


def storages_from_env(extra: dict[str, str]) -> dict[str, Any]:
    """STORAGES as jingwu/settings.py makes it from this environment (a fresh interpreter reads the settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGWU_S3_")}
    env.update(DJANGO_SETTINGS_MODULE="jingwu.settings", JINGWU_SQLITE_PATH=":memory:", **extra)
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def s3(settings: Any) -> Any:
    import boto3
    from moto import mock_aws

    storages = storages_from_env(S3_ENV)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = storages  # Django drops the storages it had made when this setting changes
        yield client


def keys(client: Any) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_the_filesystem_is_the_default() -> None:
    storages = storages_from_env({})
    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storages["staticfiles"] == {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    assert isinstance(default_storage, FileSystemStorage)


def test_the_bucket_is_chosen_by_the_environment_and_kept_private() -> None:
    storages = storages_from_env({**S3_ENV, "JINGWU_S3_ENDPOINT_URL": "http://minio:9000"})
    default = storages["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    opts = default["OPTIONS"]
    assert opts["bucket_name"] == BUCKET and opts["endpoint_url"] == "http://minio:9000"
    assert (opts["access_key"], opts["secret_key"], opts["region_name"]) == (
        "testing-key",
        "testing-secret",
        "us-east-1",
    )
    assert opts["default_acl"] is None and opts["querystring_auth"] is True and opts["file_overwrite"] is False
    assert storages["staticfiles"] == {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def test_a_case_photo_goes_to_the_bucket_and_comes_back_through_the_api(cast: Any, at: Any, s3: Any) -> None:
    from storages.backends.s3 import S3Storage

    assert isinstance(default_storage, S3Storage)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cast['gw_a'])}"}
    photo = jpeg((10, 120, 200))
    body = {"lon": IN_A[0], "lat": IN_A[1], "description": "占道", "category": "matter:09006", "photos": photo}
    r = client.post("/api/cases", body, **headers)
    assert r.status_code == 201, r.content
    att = Attachment.objects.get()
    assert keys(s3) == [f"town/{att.file.name}"]
    stored = s3.get_object(Bucket=BUCKET, Key=f"town/{att.file.name}")["Body"].read()
    # Private: no grant to everyone or to any authenticated AWS user.
    grants = s3.get_object_acl(Bucket=BUCKET, Key=f"town/{att.file.name}")["Grants"]
    assert not [g for g in grants if g["Grantee"].get("URI", "").endswith(("AllUsers", "AuthenticatedUsers"))]

    number = r.json()["case"]["number"]
    url = client.get(f"/api/cases/{number}", **headers).json()["attachments"][0]["url"]
    full = client.get(url, **headers)
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert b"".join(full.streaming_content) == stored

    thumb = client.get(url, {"size": "thumb"}, **headers)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as img:
        assert img.format == "JPEG" and max(img.size) <= 320
    assert f"town/thumbs/{att.sha256[:2]}/{att.sha256}.jpg" in keys(s3)

    # The same photo again is the same object (content-addressed), found through the bucket's own lookup.
    r2 = client.post("/api/cases", {**body, "description": "占道经营", "photos": jpeg((10, 120, 200))}, **headers)
    assert r2.status_code == 201, r2.content
    assert len(keys(s3)) == 2 and Attachment.objects.count() == 2
    assert len({a.file.name for a in Attachment.objects.all()}) == 1

    # Someone who may not see the case gets nothing, bucket or not.
    other = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cast['gw_b'])}"}
    assert client.get(url, **other).status_code == 404


# Committed rows: SQLite's online backup waits for a writer's open transaction, such as a rolled-back test's.
@pytest.mark.django_db(transaction=True)
def test_a_backup_says_the_photos_are_in_the_bucket(cast: Any, at: Any, s3: Any, tmp_path: Path) -> None:
    from django.core.management import call_command

    from jingwu.ops.backup import backup

    from .flows import worker_report

    worker_report(cast)
    assert len(keys(s3)) == 1
    # A stale local folder must not pass for the photos.
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    (media / "stale.jpg").write_bytes(b"old")
    manifest = backup(tmp_path / "b.tar.gz")
    assert manifest["media_storage"] == f"s3://{BUCKET}/town" and manifest["media_files"] == 0
    out = io.StringIO()
    call_command("backup", str(tmp_path / "c.tar.gz"), stdout=out)
    assert f"s3://{BUCKET}/town" in out.getvalue() and "not in it" in out.getvalue()
    import tarfile

    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        assert not [n for n in tar.getnames() if n.startswith("media/")]


def test_a_town_backups_photos_go_into_the_bucket_on_restore(tmp_path: Path, s3: Any, settings: Any) -> None:
    """The way from a town's folder to a city's store: restore's photo step on an installation whose photos
    are in a bucket puts the backup's photos there under the same names."""
    from jingwu.ops.backup import _into_store

    folder = tmp_path / "restored-media"
    (folder / "cases" / "ab").mkdir(parents=True)
    (folder / "cases" / "ab" / "abc.jpg").write_bytes(b"photo-1")
    (folder / "thumbs").mkdir()
    (folder / "thumbs" / "t.jpg").write_bytes(b"thumb")
    assert _into_store(folder) == 2
    assert keys(s3) == ["town/cases/ab/abc.jpg", "town/thumbs/t.jpg"]
    assert _into_store(folder) == 0  # already there: nothing put twice
