"""A user's permissions from the cache (issue 13).

Django's ModelBackend reads a user's permissions with two queries (their own, their
groups') on the first permission check of every request, and every admin page checks.
`CachedPermissionsBackend` keeps both sets in the cache under one version of all
permission data (`core.versioned`): any change to a user's groups or permissions, a
group's permissions, a group or a permission replaces it. Such changes are rare (the
*Mediators* group is synced after `migrate`), so one version for all is enough. An
entry is per user, per creation instant (SQLite reuses the primary keys of rolled-back
rows, as in tests) and per superuser flag (a superuser has every permission).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .versioned import cached_at_version, replace_versions

VERSION_KEY = "auth:perms:version"
TIMEOUT = 300


def _entry_key(user):
    return f"auth:perms:{user.pk}:{user.date_joined.timestamp()}:{int(user.is_superuser)}"


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_perms, group_perms = cached_at_version(
                VERSION_KEY, _entry_key(user_obj), lambda: (self._read_permissions(user_obj), None), TIMEOUT
            )
            user_obj._user_perm_cache, user_obj._group_perm_cache = user_perms, group_perms
            user_obj._perm_cache = {*user_perms, *group_perms}
        return user_obj._perm_cache

    def _read_permissions(self, user_obj):
        return (
            frozenset(self._get_permissions(user_obj, None, "user")),
            frozenset(self._get_permissions(user_obj, None, "group")),
        )


def permissions_changed(**kwargs):
    """Every user's cached permissions are stale."""
    replace_versions([VERSION_KEY])


for _through in (get_user_model().groups.through, get_user_model().user_permissions.through, Group.permissions.through):
    m2m_changed.connect(permissions_changed, sender=_through, dispatch_uid=f"core_perms_{_through._meta.label}")
for _model in (Group, Permission):
    receiver([post_save, post_delete], sender=_model, dispatch_uid=f"core_perms_{_model._meta.label}")(
        permissions_changed
    )
