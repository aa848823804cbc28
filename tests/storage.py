"""OPS-01: the upload tests run against the local disk and against an S3-compatible
object store: moto's standalone server, started once per test process on a free
loopback port (`s3_server`), with a bucket of each test's own (`s3_storage`).

`both_storages` runs a test once per backend; `stored_names` lists what a test stored,
through the storage API, whichever backend it is."""

import uuid

import pytest

from core.storage import walk

ACCESS_KEY = "ops-01-test-key"
SECRET_KEY = "ops-01-test-secret"
REGION = "us-east-1"


def both_storages(test):
    """Run the decorated test with the local disk and with the object store."""
    test = pytest.mark.parametrize("file_storage", ["local", "s3"], indirect=True)(test)
    return pytest.mark.usefixtures("file_storage")(test)


def s3_options(endpoint, bucket, **overrides):
    """The options config/settings.py gives django-storages for AWS_STORAGE_BUCKET_NAME."""
    from botocore.config import Config

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "region_name": REGION,
        "signature_version": "s3v4",
        "addressing_style": "path",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 60,
        "file_overwrite": False,
        "max_memory_size": 2 * 1024 * 1024,
        "client_config": Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        **overrides,
    }


def s3_client(endpoint):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )


def stored_names(prefix=""):
    """Every file name in the default storage under `prefix`, sorted."""
    return sorted(walk(prefix.rstrip("/")))


def new_bucket(endpoint):
    bucket = f"ops-01-{uuid.uuid4().hex[:20]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return bucket
