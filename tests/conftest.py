"""Named actors (STYLE §13) and shared fixtures."""

import os

import pytest
from django.utils import translation

from tests.factories import LinkedAccountGroupFactory, OfferFactory, SellerAccountFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    # django-q2 reads its configuration once at import; tests run tasks inline.
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "core.static_storage.PlainStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what the cache keeps under versions
    (core.versioned) was made from rows of earlier tests' rolled-back transactions,
    whose primary keys SQLite reuses."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _reset_locale():
    """Tests pin the language: Polish, the default, unless a test says otherwise."""
    translation.activate("pl")
    yield
    translation.deactivate()


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer")


@pytest.fixture
def other_buyer(db):
    return UserFactory(username="other_buyer")


@pytest.fixture
def linked_group(db):
    return LinkedAccountGroupFactory(name="Linked business")


@pytest.fixture
def seller_account(db, linked_group):
    return SellerAccountFactory(
        user=UserFactory(username="seller"), display_name="Seller shop", linked_group=linked_group
    )


@pytest.fixture
def seller(seller_account):
    return seller_account.user


@pytest.fixture
def linked_seller_account(db, linked_group):
    from tests.factories import market

    return SellerAccountFactory(
        user=UserFactory(username="linked_seller"),
        display_name="Linked shop",
        linked_group=linked_group,
        market=market("CZ"),
    )


@pytest.fixture
def linked_seller(linked_seller_account):
    return linked_seller_account.user


@pytest.fixture
def other_seller_account(db):
    return SellerAccountFactory(user=UserFactory(username="other_seller"), display_name="Other shop")


@pytest.fixture
def other_seller(other_seller_account):
    return other_seller_account.user


@pytest.fixture
def mediator(db):
    from django.contrib.auth.models import Group

    from core.mediators import MEDIATORS_GROUP

    user = UserFactory(username="mediator", is_staff=True)
    user.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
    return user


@pytest.fixture
def offer(seller_account):
    return OfferFactory(seller_account=seller_account, title="Headphones", stock=5)


@pytest.fixture
def bulk_offer(seller_account):
    """An offer with stock for many orders (the named `offer` has 5 units)."""
    return OfferFactory(seller_account=seller_account, title="Cable", stock=1000)


# --- OPS-01: an S3-compatible object store for the storage tests (tests/storage.py) ----------


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server on a free loopback port, for this test process."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_server):
    """The default storage is the object store, in a bucket of this test's own."""
    from tests.storage import new_bucket, s3_options

    bucket = new_bucket(s3_server)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(s3_server, bucket)},
    }
    return bucket


@pytest.fixture
def file_storage(request):
    """ "local" (MEDIA_ROOT in the test's own folder) or "s3" (`s3_storage`), as the test
    is parametrized with tests.storage.both_storages."""
    backend = getattr(request, "param", "local")
    if backend == "s3":
        request.getfixturevalue("s3_storage")
    return backend


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """OPS-02: a Redis of this test process: Debian's redis-server on a free loopback port
    (no disk), or REDIS_URL's when there is no redis-server; skipped without either."""
    import shutil
    import socket
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            pytest.skip("no redis-server and no Redis at REDIS_URL")
        yield url
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.RedisError:
            time.sleep(0.05)  # the server is starting
    yield url
    process.terminate()
    process.wait(timeout=10)
