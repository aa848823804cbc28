"""Files through Django's storage API only (OPS-01): the local disk at MEDIA_ROOT or an
S3-compatible object store (STORAGES["default"]), the same code for both.

An object store has no folders: a "folder" is the common prefix of its objects' names,
gone with its last object. On the local disk an emptied folder stays; `remove_if_empty`
tidies it up there and does nothing on a store without local paths.
"""

import contextlib
import os

from django.core.files.storage import default_storage


def walk(prefix, storage=None):
    """Every file name under `prefix` (a folder name without a trailing slash), at any
    depth; nothing when the folder does not exist."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    names = [f"{prefix}/{name}" if prefix else name for name in files]
    for folder in folders:
        names.extend(walk(f"{prefix}/{folder}" if prefix else folder, storage))
    return names


def remove_if_empty(folder, storage=None):
    """Remove an emptied folder of the local disk (an object store has none to remove)."""
    storage = storage or default_storage
    try:
        path = storage.path(folder)
    except NotImplementedError:
        return
    with contextlib.suppress(OSError):
        os.rmdir(path)  # only once it is empty
